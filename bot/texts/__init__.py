"""Everything the owner reads, in Russian (default) and English, kept out of the logic.

`Texts(language)(key, **params)` renders one text; `bot.texts.render` turns engine events and
results into text. A key missing from a catalogue is rendered in the other language, and a key
missing from both shows the key and its parameters (and is logged) rather than failing.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Mapping

from bot.texts import en, ru
from bot.texts.families import FAMILIES

log = logging.getLogger(__name__)


def _merged(language: str, core: dict[str, str]) -> dict[str, str]:
    """The core catalogue plus every family module's texts in that language."""
    merged = dict(core)
    for family in FAMILIES:
        texts: dict[str, str] = getattr(family, language.upper())
        twice = merged.keys() & texts.keys()
        if twice:
            raise RuntimeError(f"text keys defined twice ({family.__name__}): {sorted(twice)}")
        merged.update(texts)
    return merged


CATALOGUES: dict[str, dict[str, str]] = {
    "ru": _merged("ru", ru.TEXTS),
    "en": _merged("en", en.TEXTS),
}
LANGUAGES = tuple(CATALOGUES)


_PLURAL = "plural:"


def plural_form(number: str, forms: list[str]) -> str:
    """The word form for `number` (as shown, "1", "1 000", "2,5"): two forms follow the English
    rule (one | other), three the Russian one (1, 21 | 2-4, 22-24 | 0, 5-20, 11-14); a fraction
    takes the "few" form in Russian and the plural in English."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch in ".,")
    # "1,000" groups thousands (English); a Russian decimal comma never has three digits after
    # it (decimals are shown without trailing zeros)
    digits = re.sub(r",(?=\d{3}(?:[.,]|$))", "", digits)
    whole = digits.replace(",", ".").split(".")
    fraction = len(whole) > 1 and whole[1].strip("0") != ""
    try:
        n = abs(int(whole[0] or "0"))
    except ValueError:
        return forms[-1]
    if len(forms) == 2:
        return forms[0] if n == 1 and not fraction else forms[1]
    if len(forms) == 3:
        if fraction:
            return forms[1]
        if n % 10 == 1 and n % 100 != 11:
            return forms[0]
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return forms[1]
        return forms[2]
    return forms[-1]


class _Formatter(string.Formatter):
    """`{name}` from the params (a missing one shown as is); `{name:plural:piece|pieces}` is the
    word form agreeing with the number in `name` (see `plural_form`)."""

    def get_value(self, key: int | str, args: object, kwargs: Mapping[str, object]) -> object:
        if isinstance(key, str):
            return kwargs.get(key, "{" + key + "}")
        return "{" + str(key) + "}"

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith(_PLURAL):
            return plural_form(str(value), format_spec[len(_PLURAL) :].split("|"))
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


class Texts:
    def __init__(self, language: str = "ru") -> None:
        if language not in CATALOGUES:
            raise ValueError(f"unknown language {language!r}; choose one of {LANGUAGES}")
        self.language = language
        self._catalogue = CATALOGUES[language]
        self._fallback = CATALOGUES["en" if language == "ru" else "ru"]

    def has(self, key: str) -> bool:
        return key in self._catalogue

    def __call__(self, key: str, /, **params: object) -> str:
        template = self._catalogue.get(key)
        if template is None:
            template = self._fallback.get(key)
            log.warning("text %r missing in %s", key, self.language)
        values = {name: str(value) for name, value in params.items()}
        if template is None:
            shown = ", ".join(f"{name}={value}" for name, value in sorted(values.items()))
            return (key + (f" ({shown})" if shown else "")).strip()
        try:
            return _FORMATTER.vformat(template, (), values)
        except (ValueError, IndexError, KeyError):  # a malformed template must not break a reply
            log.exception("cannot render text %r", key)
            return template
