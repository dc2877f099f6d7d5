"""Arguments of /stats and /chart (pure: any text gives a value or None for bad input)."""

from __future__ import annotations

from bot.engine.views.stats import PERIODS

SELLBUY_WORDS = frozenset({"sb", "sellbuy", "task", "t"})


def parse_period(args: str | None) -> str | None:
    """'' -> 'today'; one of today|week|month|all (any case); anything else -> None."""
    words = (args or "").split()
    if not words:
        return "today"
    if len(words) == 1 and words[0].lower() in PERIODS:
        return words[0].lower()
    return None


def parse_chart(args: str | None) -> tuple[str, int] | None:
    """'N' -> ('spread', N); 'sb N' -> ('sellbuy', N) (also 'sellbuy', 'task'); '#N' allowed;
    anything else -> None."""
    words = (args or "").split()
    kind = "spread"
    if len(words) == 2 and words[0].lower() in SELLBUY_WORDS:
        kind, words = "sellbuy", words[1:]
    if len(words) != 1:
        return None
    text = words[0].removeprefix("#")
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        return None
    return kind, int(text)
