"""The texts of each command family, kept in a module of its own beside `en` and `ru`.

A family module (for example `bot/texts/stops.py`) defines two dicts, `EN` and `RU`, with the same
keys, prefixed with the family's name (`stops.plan`, `stops.done`…). List the module in
`FAMILIES`; `bot.texts` merges them into the catalogues and refuses a key defined twice.
"""

from __future__ import annotations

from types import ModuleType

from bot.texts import broker, safety, scan, stops, tape, views

FAMILIES: tuple[ModuleType, ...] = (broker, safety, scan, stops, tape, views)
