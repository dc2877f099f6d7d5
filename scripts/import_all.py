"""Import every module of a package inside an image (used by `make docker-test` on arm/v7).

    python import_all.py bot        # in the bot image
    python import_all.py trademan   # in the Base image (Django is set up first)

Run from the image's working directory (/app).

Exit 0 when every module imports; otherwise lists the failures and exits 1. Prints which
implementation psycopg uses when it is installed (the arm/v7 Base has no psycopg-binary).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
import traceback


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    name = argv[0]
    sys.path.insert(0, os.getcwd())
    if name == "trademan":  # DJANGO_SETTINGS_MODULE comes from the Base image
        import django

        django.setup()
    package = importlib.import_module(name)
    names = [name] + [
        info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}.")
    ]
    failed: list[str] = []
    for module in names:
        try:
            importlib.import_module(module)
        except Exception:  # report every failure, not only the first
            failed.append(module)
            traceback.print_exc()
    if importlib.util.find_spec("psycopg"):
        import psycopg

        print(f"psycopg {psycopg.__version__}, implementation {psycopg.pq.__impl__}")
    print(f"imported {len(names) - len(failed)} of {len(names)} modules of {name}")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
