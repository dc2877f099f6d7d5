"""/whatif results as text."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.engine.tape.whatif import WhatIfResult
from bot.texts import Texts
from bot.texts.format import format_decimal, format_money, moscow
from bot.texts.render import job_title

SHOWN_FILLS = 10


def _when(moment: datetime, several_days: bool) -> str:
    local = moscow(moment)
    return local.strftime("%d.%m %H:%M:%S" if several_days else "%H:%M:%S")


def _money(texts: Texts, value: Decimal | None) -> str:
    return "—" if value is None else format_money(value, texts.language)


def render_whatif(texts: Texts, result: WhatIfResult) -> str:
    several = len(result.days) > 1
    days = result.days[0] if not several else f"{result.days[0]} … {result.days[-1]}"
    lines = [
        texts(
            "tape.whatif_header",
            id=result.spread_id,
            title=job_title(texts, result.title),  # "продажа спреда SRZ6/SBER", as in /tasks
            target=format_money(result.target, texts.language),
            days=days,
            events=result.leg_events,
        )
    ]
    far = result.far_fills
    if not far:
        lines.append(texts("tape.whatif_nothing"))
    else:
        lines.append(
            texts(
                "tape.whatif_filled",
                filled=result.filled,
                amount=result.amount,
                average=_money(texts, result.average_spread),
            )
        )
        lines.append(
            texts(
                "tape.whatif_when",
                first=_when(far[0].at, several),
                last=_when(far[-1].at, several),
            )
        )
        lines.append(texts("tape.whatif_fills"))
        for fill in far[:SHOWN_FILLS]:
            lines.append(
                texts(
                    "tape.whatif_fill",
                    at=_when(fill.at, several),
                    pieces=fill.pieces,
                    price=format_decimal(fill.price, texts.language),
                    average=_money(texts, fill.average_spread),
                )
            )
        if len(far) > SHOWN_FILLS:
            lines.append(texts("tape.whatif_more", count=len(far) - SHOWN_FILLS))
    lines.append(
        texts(
            "tape.whatif_timing",
            seconds=format_decimal(Decimal(f"{result.wall_seconds:.1f}"), texts.language),
        )
    )
    return "\n".join(lines)
