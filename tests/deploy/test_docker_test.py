"""`make docker-test` (scripts/docker-test.sh) and what it relies on in the deployment files.

The run itself needs a Docker engine and minutes (it is not part of `make test`); these checks
keep the files it proves consistent with it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOYABLES, REPO, load_yaml

MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")
SCRIPT = REPO / "scripts" / "docker-test.sh"
OVERLAY = REPO / "scripts" / "docker-compose.test.yml"


def target(name: str) -> str:
    match = re.search(rf"^{name}:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M)
    assert match, f"no make target {name}"
    return match.group(1)


def test_make_docker_test_runs_the_script_and_make_test_does_not() -> None:
    assert "scripts/docker-test.sh" in target("docker-test")
    assert "docker" not in target("test")
    assert SCRIPT.stat().st_mode & 0o111, "scripts/docker-test.sh is not executable"
    result = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_docker_test_when_an_engine_starts_and_says_so_when_not() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/docker-test.sh --engine-only" in script
    assert "make docker-test" in script
    assert "NOT RUN" in script
    assert script.index("\nmake lint") < script.index("\n  make docker-test")


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_dockerfile_builds_without_a_registry_for_its_frontend(name: str) -> None:
    """A `# syntax=` line makes BuildKit pull the frontend image before anything else."""
    text = (REPO / "docker" / f"{name}.Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"^#\s*syntax\s*=", text, flags=re.M | re.I)


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_pip_trusts_the_ca_bundle_secret_and_never_skips_verification(name: str) -> None:
    text = (REPO / "docker" / f"{name}.Dockerfile").read_text(encoding="utf-8")
    assert "--mount=type=secret,id=ca_bundle" in text
    assert "export PIP_CERT=/run/secrets/ca_bundle" in text
    assert "--secret id=ca_bundle,src=" in text  # the build command is documented
    for unsafe in ("--trusted-host", "PIP_TRUSTED_HOST", "verify=False", "--insecure"):
        assert unsafe not in text


def test_the_overlay_only_names_images_and_the_simulators_test_port() -> None:
    overlay = load_yaml(OVERLAY)
    compose = load_yaml(REPO / "docker-compose.yml")
    assert set(overlay) == {"services"}
    assert set(overlay["services"]) <= set(compose["services"])
    for name, service in overlay["services"].items():
        allowed = {"image", "ports", "command"} if name == "simulator" else {"image"}
        assert set(service) <= allowed, f"{name}: the overlay changes {set(service) - allowed}"
    [port] = overlay["services"]["simulator"]["ports"]
    assert port.startswith("127.0.0.1:"), "the simulator's test port stays on loopback"


@pytest.mark.parametrize("name", ["python", "postgres", "nginx"])
def test_standin_images_build_from_the_debootstrapped_root(name: str) -> None:
    text = (REPO / "docker" / "standin" / f"{name}.Dockerfile").read_text(encoding="utf-8")
    assert "ARG DEBIAN_IMAGE\nFROM ${DEBIAN_IMAGE}\n" in text
    assert re.search(rf"for name in [a-z ]*\b{name}\b", SCRIPT.read_text(encoding="utf-8"))


def test_readme_documents_docker_test_and_the_ca_secret() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make docker-test" in readme
    assert "--secret id=ca_bundle,src=" in readme


def test_import_all_reports_a_module_that_fails(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "good.py").write_text("VALUE = 1\n")
    (package / "sub" / "broken.py").write_text("import no_such_module_here\n")
    script = REPO / "scripts" / "import_all.py"
    result = subprocess.run(
        [sys.executable, str(script), "pkg"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "imported 3 of 4 modules of pkg" in result.stdout
    assert "failed: pkg.sub.broken" in result.stderr
    (package / "sub" / "broken.py").write_text("VALUE = 2\n")
    result = subprocess.run(
        [sys.executable, str(script), "pkg"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "imported 4 of 4 modules of pkg" in result.stdout
