"""`python -m bench`: discovers bench/*.py, runs each main(), survives failures, exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.deploy.conftest import REPO

BENCHMARKS = {
    "b_fast": 'def main() -> None:\n    print("fast: 123 ops/s")\n',
    "a_broken": 'def main() -> None:\n    raise RuntimeError("order book went away")\n',
    "c_exits": "import sys\n\ndef main() -> None:\n    sys.exit(3)\n",
    "d_quiet_exit": "import sys\n\ndef main() -> None:\n    print('d ran')\n    sys.exit(0)\n",
    "e_no_main": "VALUE = 1\n",
    "_helper": "raise AssertionError('helpers are not benchmarks')\n",
}


def make_package(tmp_path: Path) -> Path:
    package = tmp_path / "fakebench"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, source in BENCHMARKS.items():
        (package / f"{name}.py").write_text(source)
    return package


def run_harness(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    package = make_package(tmp_path)
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from bench.__main__ import main
        sys.exit(main({list(args)!r}, directory=Path({str(package)!r}), package="fakebench"))
        """
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{tmp_path}"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_runs_every_benchmark_in_order_and_reports_failures(tmp_path: Path) -> None:
    result = run_harness(tmp_path)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    headers = [line for line in out.splitlines() if line.startswith("=== [")]
    assert headers == [
        "=== [1/5] a_broken ===",
        "=== [2/5] b_fast ===",
        "=== [3/5] c_exits ===",
        "=== [4/5] d_quiet_exit ===",
        "=== [5/5] e_no_main ===",
    ]
    assert "fast: 123 ops/s" in out and "d ran" in out
    assert "RuntimeError: order book went away" in result.stderr
    assert "has no main() function" in result.stderr
    assert "--- a_broken: FAILED" in out and "--- b_fast: done in" in out
    assert "--- d_quiet_exit: done in" in out and "--- c_exits: FAILED" in out
    assert "=== 2/5 benchmarks succeeded, total " in out
    assert "failed: a_broken, c_exits, e_no_main" in result.stderr


def test_runs_only_the_named_benchmarks(tmp_path: Path) -> None:
    result = run_harness(tmp_path, "b_fast", "d_quiet_exit.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a_broken" not in result.stdout
    assert "=== 2/2 benchmarks succeeded" in result.stdout


def test_unknown_name_is_refused_with_the_list(tmp_path: Path) -> None:
    result = run_harness(tmp_path, "nope")
    assert result.returncode == 2
    assert "unknown benchmark(s): nope" in result.stderr
    assert "b_fast" in result.stderr and "_helper" not in result.stderr


def test_list_names_the_repository_benchmarks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--list"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    expected = sorted(p.stem for p in (REPO / "bench").glob("*.py") if not p.stem.startswith("_"))
    assert result.stdout.split() == (expected or ["no", "benchmarks"])
