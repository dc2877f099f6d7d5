"""Copy a hash-pinned requirements file without some packages (used for ARMv7 builds).

  python drop_requirement.py IN OUT NAME [NAME...]

psycopg-binary publishes no linux/arm/v7 wheel (and no source), so the ARMv7 images drop it and
psycopg runs its pure-Python implementation on the system libpq instead. Each entry of a file
exported by `uv export` is one `name==version ... \\` line followed by its `--hash` lines and
`# via` comments; the whole entry goes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:==|@|>=|<=|~=|;|\\|$)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def drop(text: str, names: set[str]) -> tuple[str, set[str]]:
    """Return the text without the entries of `names`, and the names that were found."""
    wanted = {_canonical(n) for n in names}
    kept: list[str] = []
    found: set[str] = set()
    skipping = False
    for line in text.splitlines(keepends=True):
        match = _ENTRY.match(line)
        if match:  # a new entry starts: decide whether to keep it
            name = _canonical(match.group(1))
            skipping = name in wanted
            if skipping:
                found.add(name)
        elif line.strip() and not line.startswith((" ", "\t")):
            skipping = False  # a top-level comment or option ends the previous entry
        if not skipping:
            kept.append(line)
    return "".join(kept), found


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, target, *names = argv
    text, found = drop(Path(source).read_text(encoding="utf-8"), set(names))
    missing = {_canonical(n) for n in names} - found
    if missing:
        print(f"drop_requirement: not in {source}: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    Path(target).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
