#!/usr/bin/env python
"""Django management for the Base: `python trademan/manage.py migrate`, `runserver`, ..."""

import os
import sys
from pathlib import Path


def main() -> None:
    # One import root: the repository root (the parent of this folder).
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trademan.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
