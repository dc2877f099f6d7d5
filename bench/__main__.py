"""The benchmark harness: discover bench/*.py, run each module's main(), report failures.

A failing benchmark prints its traceback and the harness goes on with the next one; the exit
status is 1 when any failed (or a name was unknown), 0 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

_NOT_BENCHMARKS = {"__init__", "__main__"}
BENCH_DIR = Path(__file__).resolve().parent


def discover(directory: Path) -> list[str]:
    """Names of the benchmark modules in `directory`, sorted (a stable order)."""
    return sorted(
        path.stem
        for path in directory.glob("*.py")
        if path.stem not in _NOT_BENCHMARKS and not path.stem.startswith("_")
    )


def _load(package: str, name: str) -> Callable[[], object]:
    module = importlib.import_module(f"{package}.{name}")
    entry = getattr(module, "main", None)
    if not callable(entry):
        raise TypeError(f"{package}/{name}.py has no main() function")
    return entry


def run(names: Sequence[str], package: str, out: Callable[[str], None] = print) -> list[str]:
    """Run the named benchmarks in order; return the names of those that failed."""
    failed: list[str] = []
    for index, name in enumerate(names, start=1):
        out(f"\n=== [{index}/{len(names)}] {name} ===")
        sys.stdout.flush()
        started = time.perf_counter()
        try:
            try:
                _load(package, name)()
            except SystemExit as exit_:
                if exit_.code not in (0, None):
                    raise
        except (Exception, SystemExit):
            sys.stdout.flush()
            traceback.print_exc()
            sys.stderr.flush()
            failed.append(name)
            out(f"--- {name}: FAILED after {time.perf_counter() - started:.2f} s")
        else:
            sys.stdout.flush()
            out(f"--- {name}: done in {time.perf_counter() - started:.2f} s")
    return failed


def main(
    argv: Sequence[str] | None = None,
    directory: Path = BENCH_DIR,
    package: str = "bench",
) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    available = discover(directory)
    if args.list:
        print("\n".join(available) if available else "no benchmarks")
        return 0
    wanted = [name.removesuffix(".py") for name in args.names] or available
    unknown = [name for name in wanted if name not in available]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: "
            f"{', '.join(available) or 'none'}",
            file=sys.stderr,
        )
        return 2
    if not wanted:
        print("no benchmarks in", directory)
        return 0

    started = time.perf_counter()
    failed = run(wanted, package)
    total = time.perf_counter() - started
    succeeded = len(wanted) - len(failed)
    print(f"\n=== {succeeded}/{len(wanted)} benchmarks succeeded, total {total:.2f} s ===")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
