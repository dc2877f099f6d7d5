"""`{{ value|num }}`: a Decimal (or its string) without trailing zeros, thousands grouped with
a thin space; anything else as it is."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from trademan.base.services.rules import fmt

register = template.Library()


@register.filter
def num(value: object) -> str:
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = fmt(number)
    sign = "-" if text.startswith("-") else ""
    whole, dot, fraction = text.lstrip("-").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + "\u2009".join(groups) + dot + fraction


@register.filter
def money(value: object) -> str:
    """Roubles with kopecks: `1 000 009.19`."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    whole, _, kopecks = num(number).partition(".")
    return f"{whole}.{(kopecks + '00')[:2]}"
