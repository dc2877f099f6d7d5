"""Everything the owner reads, in Russian (default) and English, kept out of the logic.

`Texts(language)(key, **params)` renders one text; `bot.texts.render` turns engine events and
results into text. A key missing from a catalogue is rendered in the other language, and a key
missing from both shows the key and its parameters (and is logged) rather than failing.
"""

from __future__ import annotations

import logging
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


class _Formatter(string.Formatter):
    def get_value(self, key: int | str, args: object, kwargs: Mapping[str, object]) -> object:
        if isinstance(key, str):
            return kwargs.get(key, "{" + key + "}")
        return "{" + str(key) + "}"


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
