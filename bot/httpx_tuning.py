"""Two import-time wastes of httpx (the bot's HTTP client for the broker and the Base), removed
before anything imports it (`bot/__init__.py`):

- `import httpx` also imports its command-line tool (httpx._main) when click, rich and pygments
  happen to be installed (they are in the development environment, not in the bot's image):
  ~4 MB and ~80 ms the bot never uses. httpx falls back to a stub `httpx.main` when that import
  fails, which a None entry in sys.modules makes it do.
- httpcore runs `import sniffio` on every request to learn the async library, and sniffio is not
  installed: each failed import searched sys.path again (~0.3 ms per request, two per call).
  A None entry in sys.modules makes the failure immediate; nothing changes when sniffio is
  installed (then the entry is not set).
"""

from __future__ import annotations

import importlib.util
import sys


def tune() -> None:
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]
