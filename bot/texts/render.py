"""Engine events and results rendered as the owner's text (no Telegram here)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from bot.broker.errors import BrokerError
from bot.commands.parsing import ParseError
from bot.engine import events as ev
from bot.engine.interface import (
    CatalogueUpdate,
    Health,
    JobInfo,
    SellBuyOrder,
    SideQuote,
    SpreadQuote,
    UserError,
)
from bot.engine.jobs import job_ref
from bot.texts import Texts
from bot.texts.format import format_decimal, format_money, format_seconds, format_time


def _broker_error_classes() -> list[type[BrokerError]]:
    found: list[type[BrokerError]] = []
    pending: list[type[BrokerError]] = [BrokerError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def price(texts: Texts, value: Decimal | None) -> str:
    return texts("no_average") if value is None else format_decimal(value, texts.language)


def _spread(texts: Texts, value: Decimal | None) -> str:
    return "" if value is None else texts("event.average_spread", spread=price(texts, value))


def job_title(texts: Texts, title: str) -> str:
    """A job's title in the owner's language. The engine names jobs with data only —
    "sell 10 SBER" (sell/buy) or "buy SRH7/SBER" (a spread) — and this puts them in words;
    a title of another shape (a family of its own) is shown as given."""
    direction, _, rest = title.partition(" ")
    if direction not in ("sell", "buy") or not rest:
        return title
    if "/" in rest and " " not in rest:
        return texts(f"title.spread_{direction}", pair=rest)
    return texts(f"title.{direction}", what=rest)


def _job(job_id: str | None) -> str:
    return job_id if job_id is not None else "-"


# Engine parameters holding decimals, shown with the language's decimal mark and grouping.
DECIMAL_PARAMS = frozenset({"price", "sum", "value", "limit", "lot_price", "increment", "ratio"})
# ... of which sums of money, shown with kopecks
MONEY_PARAMS = frozenset({"sum", "lot_price"})


_LEGACY_PREFIX = "Broker: "  # BrokerError.user_message() starts with it
# each BrokerError family's English summary (what user_message() says for an unknown code)
_SUMMARY_KEYS = sorted(
    ((cls.summary, f"broker.kind.{cls.__name__}") for cls in _broker_error_classes()),
    key=lambda pair: -len(pair[0]),
)


def _broker_words(texts: Texts, words: str, *, quote: bool) -> str:
    """The broker's words for an unknown code: its family's summary translated, the rest
    quoted as the broker said it."""
    for summary, key in _SUMMARY_KEYS:
        if words == summary:
            return texts(key)
        if words.startswith(summary + ": "):
            return texts("broker.with_words", reason=texts(key), message=words[len(summary) + 2 :])
    return texts("broker.unknown", message=words) if quote else words


def broker_reason(texts: Texts, code: str | None, message: str) -> str:
    """A broker error in the owner's language, with its code once: the meaning of a known code
    ("цена вне допустимых границ инструмента (код брокера 30099)"), else the broker's own words.
    """
    code = (code or "").strip()
    if code and texts.has(f"broker.{code}"):
        reason_text = texts(f"broker.{code}")
    else:
        words = message.strip().removeprefix(_LEGACY_PREFIX)
        if code:
            words = words.removesuffix(f" ({code})")
        reason_text = _broker_words(texts, words, quote=bool(code))
    return texts("broker.code", reason=reason_text, code=code) if code else reason_text


def localise(texts: Texts, params: dict[str, str]) -> dict[str, str]:
    """Engine parameters in the owner's language: decimals ("281.35" -> "281,35"), and a broker
    error (`message` with its `code`) as its translated meaning with the code once."""
    shown = dict(params)
    if "code" in params and "message" in params:
        shown["message"] = broker_reason(texts, params["code"], params["message"])
    elif "message" in params:  # a BrokerError.user_message() passed on without its code
        shown["message"] = broker_detail(texts, params["message"])
    if "title" in params:
        shown["title"] = job_title(texts, params["title"])
    for name in DECIMAL_PARAMS & params.keys():
        places = 2 if name in MONEY_PARAMS else None  # roubles with kopecks: "2 500,50"
        try:
            shown[name] = format_decimal(Decimal(params[name]), texts.language, places)
        except ArithmeticError:  # not a number: shown as given
            continue
    return shown


def reason(texts: Texts, key: str | None, params: dict[str, str]) -> str:
    return "" if key is None else texts(key, **localise(texts, params))


def render_event(texts: Texts, event: ev.Event, *, now: datetime | None = None) -> str:
    """One event as one message."""
    from bot.texts.stops_render import render_stop_event  # the family renders its own events

    stop_text = render_stop_event(texts, event)
    if stop_text is not None:
        return stop_text
    lang = texts.language
    if isinstance(event, ev.JobStarted):
        return texts(
            "event.job_started",
            id=_job(event.job_id),
            title=job_title(texts, event.title),
            amount=event.amount,
        )
    if isinstance(event, ev.OrderFilled):
        common = {
            "id": _job(event.job_id),
            "direction": texts(f"direction.{event.direction}"),
            "quantity": event.quantity,
            "ticker": event.ticker,
            "price": price(texts, event.price),
            "executed": event.executed,
            "amount": event.amount,
            "average": price(texts, event.average_price),
        }
        if event.leg is None:
            return texts("event.filled", **common)
        return texts(
            "event.filled_leg",
            leg=texts(f"leg.{event.leg}"),
            spread=_spread(texts, event.average_spread),
            **common,
        )
    if isinstance(event, ev.SessionWait):
        if event.opens_at is None:
            return texts("event.session_wait_unknown", id=_job(event.job_id), ticker=event.ticker)
        return texts(
            "event.session_wait",
            id=_job(event.job_id),
            ticker=event.ticker,
            opens_at=format_time(event.opens_at, lang, now=now or event.at),
        )
    if isinstance(event, ev.RateLimitWait):
        return texts(
            "event.rate_limit", method=event.method, seconds=format_seconds(event.seconds, lang)
        )
    if isinstance(event, ev.BaseUnavailable):
        return texts("event.base_unavailable", pending=event.pending_records)
    if isinstance(event, ev.BaseRestored):
        return texts("event.base_restored", flushed=event.flushed_records)
    if isinstance(event, ev.OrderRefused):
        return texts(
            "event.order_refused",
            id=_job(event.job_id),
            ticker=event.ticker,
            reason=reason(texts, event.reason_key, event.params),
        )
    if isinstance(event, ev.Alert):
        job = "" if event.job_id is None else texts("event.alert_job", id=event.job_id)
        return texts("event.alert", job=job, reason=reason(texts, event.reason_key, event.params))
    if isinstance(event, ev.Progress):
        return texts(
            "event.progress",
            id=_job(event.job_id),
            stage=texts(event.stage_key, **event.params),
            done=event.done,
            total=event.total,
        )
    if isinstance(event, ev.JobFinished):
        why = reason(texts, event.reason_key, event.params)
        return texts(
            f"event.finished_{event.outcome}",
            id=_job(event.job_id),
            title=job_title(texts, event.title),
            executed=event.executed,
            amount=event.amount,
            average=(
                ""
                if event.average_price is None
                else texts("tasks.average", price=price(texts, event.average_price))
            ),
            spread=_spread(texts, event.average_spread),
            reason=texts("event.reason", reason=why) if why else "",
        )
    return texts("error.unknown_text", key=type(event).__name__, params="")


def render_user_error(texts: Texts, error: UserError) -> str:
    return texts(error.key, **localise(texts, error.params))


def render_job_line(texts: Texts, job: JobInfo, *, now: datetime | None = None) -> str:
    average = (
        ""
        if job.average_price is None
        else texts("tasks.average", price=price(texts, job.average_price))
    )
    return texts(
        "tasks.line",
        id=job.job_id,
        kind=texts(f"kind.{job.kind}"),
        title=job_title(texts, job.title),
        executed=job.executed,
        amount=job.amount,
        average=average,
        state=texts(f"state.{job.state}"),
        started=format_time(job.started_at, texts.language, now=now),
    )


def render_jobs(texts: Texts, jobs: list[JobInfo], *, now: datetime | None = None) -> str:
    if not jobs:
        return texts("tasks.none")
    lines = [texts("tasks.header", count=len(jobs))]
    lines.extend(render_job_line(texts, job, now=now) for job in jobs)
    return "\n".join(lines)


def render_stopped(texts: Texts, jobs: list[JobInfo]) -> str:
    if not jobs:
        return texts("stop.none")
    lines = [texts("stop.done", count=len(jobs))]
    for job in jobs:
        average = (
            ""
            if job.average_price is None
            else texts("tasks.average", price=price(texts, job.average_price))
        )
        lines.append(
            texts(
                "stop.line",
                id=job.job_id,
                title=job_title(texts, job.title),
                executed=job.executed,
                amount=job.amount,
                average=average,
            )
        )
    return "\n".join(lines)


def render_started(texts: Texts, jobs: list[JobInfo], *, none_key: str = "sellbuy.none") -> str:
    if not jobs:
        return texts(none_key)
    lines = [texts("sellbuy.started_count", count=len(jobs))]
    lines.extend(render_started_one(texts, job) for job in jobs)
    return "\n".join(lines)


def render_started_one(texts: Texts, job: JobInfo) -> str:
    return texts(
        "sellbuy.started",
        id=job.job_id,
        title=job_title(texts, job.title),
        executed=job.executed,
        amount=job.amount,
    )


def render_order(texts: Texts, order: SellBuyOrder) -> str:
    """`Selling 100 SBER, not below 281.5…` — the instant answer to /sell and /buy."""
    lang = texts.language
    if order.amount is not None:
        what = texts("sellbuy.what_amount", amount=order.amount, ticker=order.ticker)
    else:
        money = format_money(order.money or Decimal(0), lang)
        what = texts("sellbuy.what_money", ticker=order.ticker, money=money)
    if order.limit_price is not None:
        limit_key = "sellbuy.limit" if order.direction == "sell" else "sellbuy.limit_buy"
        what += texts(limit_key, price=format_decimal(order.limit_price, lang))
    return texts(f"sellbuy.starting_{order.direction}", what=what)


def _health_part(texts: Texts, ok: bool, latency_ms: float | None, detail: str) -> str:
    if not ok:
        return texts("health.fail", detail=detail or "?")
    if latency_ms is None:
        return texts("health.ok_no_latency")
    return texts("health.ok", latency=round(latency_ms))


_CODED = re.compile(r"^(?P<words>.*?)(?: \((?P<code>\d{5})\))?$", re.S)


def broker_detail(texts: Texts, detail: str) -> str:
    """A BrokerError.user_message() ("Broker: … (30099)") in the owner's language."""
    if not detail.startswith(_LEGACY_PREFIX):
        return detail
    match = _CODED.match(detail)
    code = match.group("code") if match else None
    return broker_reason(texts, code, detail)


def render_health(texts: Texts, health: Health) -> str:
    detail = broker_detail(texts, health.broker.detail)
    broker = _health_part(texts, health.broker.ok, health.broker.latency_ms, detail)
    if health.account_id:
        broker = texts("health.account", broker=broker, account=health.account_id)
    return texts(
        "health.report",
        mode=texts(f"mode.{health.mode}"),
        base=_health_part(texts, health.base.ok, health.base.latency_ms, health.base.detail),
        broker=broker,
    )


def render_catalogue_update(texts: Texts, update: CatalogueUpdate) -> str:
    return texts(
        "update.done",
        created=update.created,
        updated=update.updated,
        deactivated=update.deactivated,
        unchanged=update.unchanged,
    )


def render_parse_error(texts: Texts, error: ParseError) -> str:
    """A one-line explanation with the right syntax."""
    params: dict[str, object] = {**error.usage_params, **error.params}
    if error.usage_key is not None:
        params["usage"] = texts(error.usage_key, **error.usage_params)
    return texts(error.key, **params)


# ---- /sprices ------------------------------------------------------------------------------


def _spread_money(texts: Texts, value: Decimal) -> str:
    return texts("sprices.money", value=format_money(value, texts.language))


def _side_value(texts: Texts, side: SideQuote) -> str:
    if side.spread is None:
        return texts(f"sprices.{side.reason or 'no_far_price'}")
    return _spread_money(texts, side.spread)


def _full_value(texts: Texts, side: SideQuote | None) -> str:
    if side is None or side.spread_full is None:
        return texts("sprices.not_enough_depth")
    return _spread_money(texts, side.spread_full)


def render_spread_quote(texts: Texts, quote: SpreadQuote, *, now: datetime | None = None) -> str:
    """One line: `#100 SRH7/SBER sell: 1 234,50 ₽ (цель 1 200 ✓) · buy: 1 190,00 ₽ (✗) · …`,
    or when both legs open, or why it cannot be priced."""
    pair = f"{quote.far_ticker}/{quote.near_ticker}"
    common = {"id": job_ref("spread", quote.spread_id, 0), "pair": pair}
    if quote.error_key is not None:
        params = localise(texts, dict(quote.error_params))
        return texts(
            "sprices.error", reason=texts(quote.error_key, **localise(texts, params)), **common
        )
    if not quote.in_session:
        if quote.opens_at is None or quote.minutes_to_open is None:
            return texts("sprices.opens_unknown", **common)
        return texts(
            "sprices.opens_in",
            minutes=quote.minutes_to_open,
            at=format_time(quote.opens_at, texts.language, now=now),
            **common,
        )
    parts: dict[str, str] = {}
    for direction in ("sell", "buy"):
        side = quote.side(direction)
        if side is None:
            parts[direction] = texts(
                "sprices.side",
                direction=texts(f"sprices.{direction}"),
                spread=texts("sprices.no_far_price"),
                mark="",
            )
            continue
        ok = "✓" if side.meets_target else "✗"
        mark = (
            texts(
                "sprices.mark_target",
                target=format_decimal(quote.target, texts.language),
                ok=ok,
            )
            if direction == quote.direction
            else texts("sprices.mark", ok=ok)
        )
        if side.spread is None:
            mark = ""
        parts[direction] = texts(
            "sprices.side",
            direction=texts(f"sprices.{direction}"),
            spread=_side_value(texts, side),
            mark=mark,
        )
    full = ""
    if quote.remaining > 0:
        full = texts(
            "sprices.full",
            pieces=quote.remaining,
            sell=_full_value(texts, quote.sell),
            buy=_full_value(texts, quote.buy),
        )
    sides = texts("sprices.sides", sell=parts["sell"], buy=parts["buy"], full=full)
    return texts("sprices.line", sides=sides, **common)


def render_spread_quotes(
    texts: Texts, quotes: list[SpreadQuote], *, now: datetime | None = None
) -> str:
    if not quotes:
        return texts("no_active_spreads")
    return "\n".join(render_spread_quote(texts, quote, now=now) for quote in quotes)
