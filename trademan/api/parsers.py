"""The API's JSON parser: DRF's, with a limit on nesting.

Python's JSON decoder recurses once per level, so a body nested ~1,000 levels deep raises
RecursionError (a 500); anything nested deeper than the API's documents ever are is refused as a
malformed body (400) before a serializer recurses into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest Base API document is a few levels (a sync of instruments: body → items → item);
# 32 leaves room for any future field while keeping every recursion short.
MAX_DEPTH = 32


def depth_exceeds(value: Any, limit: int) -> bool:
    """True when lists/objects in `value` nest more than `limit` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class SafeJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        too_deep = _("JSON parse error - nested more than %(limit)d levels deep.") % {
            "limit": MAX_DEPTH
        }
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(too_deep)
        return data
