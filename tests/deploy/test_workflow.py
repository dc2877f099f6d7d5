""".github/workflows/ci.yml runs what .ci/run runs, and builds the three images multi-arch."""

from __future__ import annotations

from typing import Any

from tests.deploy.conftest import DEPLOYABLES, REPO, load_yaml

WORKFLOW: dict[Any, Any] = load_yaml(REPO / ".github" / "workflows" / "ci.yml")


def triggers() -> Any:
    # YAML 1.1 reads the key `on` as the boolean True.
    return WORKFLOW.get("on", WORKFLOW.get(True))


def test_runs_on_push_and_pull_request() -> None:
    assert {"push", "pull_request"} <= set(triggers())


def test_test_job_runs_make_test_against_postgres_then_make_lint() -> None:
    job = WORKFLOW["jobs"]["test"]
    assert job["services"]["postgres"]["image"].startswith("postgres:16")
    assert job["env"]["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/postgres"
    setup = next(s for s in job["steps"] if "actions/setup-python" in str(s.get("uses")))
    assert setup["with"]["python-version"] == "3.11"
    runs = [s["run"] for s in job["steps"] if "run" in s]
    test_step = next(i for i, r in enumerate(runs) if r.startswith("make test"))
    lint_step = next(i for i, r in enumerate(runs) if r.startswith("make lint"))
    assert test_step < lint_step
    assert 'DATABASE_URL="$DATABASE_URL"' in runs[test_step]


def test_ci_script_runs_the_same_make_targets() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert "make test" in script and "make lint" in script


def test_images_job_builds_each_dockerfile_for_amd64_and_arm64_without_pushing() -> None:
    job = WORKFLOW["jobs"]["images"]
    assert sorted(job["strategy"]["matrix"]["image"]) == sorted(DEPLOYABLES)
    build = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("docker/build-push"))
    assert build["with"]["file"] == "docker/${{ matrix.image }}.Dockerfile"
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["push"] is False
    uses = [str(s.get("uses", "")) for s in job["steps"]]
    assert any(u.startswith("docker/setup-qemu-action") for u in uses)
    assert any(u.startswith("docker/setup-buildx-action") for u in uses)
    for image in job["strategy"]["matrix"]["image"]:
        assert (REPO / "docker" / f"{image}.Dockerfile").is_file()
