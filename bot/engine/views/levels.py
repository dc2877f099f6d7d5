"""Pure: how each kind of event reaches the owner — on, silent (no sound) or off — from the
trading settings (notify_fills, notify_progress, notify_stops, notify_alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.engine import events as ev

Level = Literal["on", "silent", "off"]
EventKind = Literal["fills", "progress", "stops", "alerts"]
LEVELS: tuple[Level, ...] = ("on", "silent", "off")

_KINDS: dict[type[ev.Event], EventKind] = {
    ev.OrderFilled: "fills",
    ev.JobStarted: "progress",
    ev.SessionWait: "progress",
    ev.Progress: "progress",
    ev.RateLimitWait: "progress",
    ev.Alert: "alerts",
    ev.OrderRefused: "alerts",
    ev.BaseUnavailable: "alerts",
    ev.BaseRestored: "alerts",
    ev.BulkProgress: "progress",
    ev.StopActivated: "stops",
}


def event_kind(event: ev.Event) -> EventKind:
    """A job that failed is an alert; anything unknown counts as an alert (never hushed by a
    setting meant for something else)."""
    if isinstance(event, ev.JobFinished):
        return "alerts" if event.outcome == "failed" else "progress"
    for cls in type(event).__mro__:
        kind = _KINDS.get(cls)
        if kind is not None:
            return kind
    return "alerts"


@dataclass(frozen=True, slots=True)
class NotifyLevels:
    fills: Level = "on"
    progress: Level = "on"
    stops: Level = "on"
    alerts: Level = "on"

    def of(self, event: ev.Event) -> Level:
        level: Level = getattr(self, event_kind(event))
        return level

    @classmethod
    def from_settings(cls, settings: object) -> NotifyLevels:
        def level(name: str) -> Level:
            value = str(getattr(settings, f"notify_{name}", "on"))
            return value if value in LEVELS else "on"

        return cls(
            fills=level("fills"),
            progress=level("progress"),
            stops=level("stops"),
            alerts=level("alerts"),
        )
