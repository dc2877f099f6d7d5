"""Texts: both languages complete, events rendered with Moscow time and exact decimals."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.engine import events as ev
from bot.engine.interface import ComponentHealth, Health, JobInfo, UserError
from bot.texts import CATALOGUES, Texts
from bot.texts.format import format_decimal, format_money, format_time
from bot.texts.render import render_event, render_health, render_jobs, render_user_error

AT = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    ru, en = CATALOGUES["ru"], CATALOGUES["en"]
    assert set(ru) == set(en), set(ru) ^ set(en)
    for key in ru:
        assert placeholders(ru[key]) == placeholders(en[key]), key


def engine_keys_with_params() -> dict[str, set[str]]:
    """Each key of bot.engine.text_keys with the params its comment documents."""
    from bot.engine import text_keys

    source = Path(text_keys.__file__).read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    params: set[str] = set()
    for line in source.splitlines():
        comment = re.search(r"params:\s*(.*)$", line)
        if line.startswith("#") and comment:
            words = re.findall(r"[a-z_]+", re.sub(r"\(.*?\)", "", comment.group(1)))
            params = set() if words == ["none"] else set(words)
        constant = re.match(r'([A-Z_]+) = "([a-z_.]+)"', line)
        if constant:
            found[constant.group(2)] = params
            params = set()
    return found


def test_every_engine_text_key_is_rendered_in_both_languages() -> None:
    from bot.engine.text_keys import ALL_KEYS

    documented = engine_keys_with_params()
    assert set(documented) == set(ALL_KEYS)
    for language in ("ru", "en"):
        for key, params in documented.items():
            assert key in CATALOGUES[language], f"{key} missing in {language}"
            used = placeholders(CATALOGUES[language][key])
            assert used <= params, (language, key, used - params)
            text = Texts(language)(key, **{name: "X" for name in params})
            assert "{" not in text, text


def test_engine_decimal_params_follow_the_language() -> None:
    error = UserError("risk_order_value", ticker="SBER", value=Decimal("5000000.5"), limit=5000000)
    assert render_user_error(Texts("ru"), error) == (
        "SBER: объём заявки 5\u00a0000\u00a0000,5 больше лимита 5\u00a0000\u00a0000."
    )


def test_decimals_are_exact_and_grouped_per_language() -> None:
    assert format_decimal(Decimal("281.350"), "ru") == "281,35"
    assert format_decimal(Decimal("1234567.5"), "en") == "1,234,567.5"
    assert format_decimal(Decimal("1234567.5"), "ru") == "1\u00a0234\u00a0567,5"
    assert format_decimal(Decimal("0.000000001"), "en") == "0.000000001"
    assert format_decimal(Decimal("1E+3"), "en") == "1,000"
    assert format_money(Decimal("300000"), "en") == "300,000.00"


def test_times_are_shown_in_moscow() -> None:
    assert format_time(AT, "ru", now=AT) == "10:00 МСК"
    assert format_time(datetime(2026, 11, 22, 6, 50, tzinfo=UTC), "en", now=AT) == (
        "22.11 09:50 MSK"
    )


def sample_events() -> list[ev.Event]:
    return [
        ev.JobStarted("7", AT, "sellbuy", "sell 100 SBER", 100),
        ev.OrderFilled("7", AT, "SBER", "sell", 30, Decimal("281.35"), 30, 100, Decimal("281.35")),
        ev.OrderFilled(
            "8",
            AT,
            "SiH7",
            "sell",
            1,
            Decimal(91500),
            1,
            5,
            Decimal(91500),
            "far",
            Decimal("1200.5"),
        ),
        ev.SessionWait("7", AT, "SBER", datetime(2026, 11, 23, 6, 50, tzinfo=UTC)),
        ev.SessionWait("7", AT, "SBER", None),
        ev.RateLimitWait(None, AT, "PostOrder", 2.5),
        ev.BaseUnavailable(None, AT, 3),
        ev.BaseRestored(None, AT, 3),
        ev.OrderRefused("7", AT, "SBER", "some.refusal", {"limit": "5"}),
        ev.Alert("8", AT, "some.alert", {}),
        ev.Progress("9", AT, 5, 10, "some.stage", {}),
        ev.JobFinished("7", AT, "sellbuy", "sell 100 SBER", "done", 100, 100, Decimal("281.4")),
        ev.JobFinished("7", AT, "sellbuy", "sell 100 SBER", "stopped", 30, 100, None),
        ev.JobFinished(
            "7", AT, "sellbuy", "sell 100 SBER", "failed", 0, 100, None, "some.reason", {}
        ),
    ]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_event_renders_without_leftover_placeholders(language: str) -> None:
    texts = Texts(language)
    for event in sample_events():
        text = render_event(texts, event)
        assert text and "{" not in text, (event, text)


def test_fill_shows_executed_of_amount_and_average() -> None:
    fill = sample_events()[1]
    assert render_event(Texts("en"), fill) == ("#7 sold 30 SBER @ 281.35 — [30/100] avg 281.35")
    assert "[30/100]" in render_event(Texts("ru"), fill)
    assert "ср. 281,35" in render_event(Texts("ru"), fill)


def test_session_wait_in_moscow_time() -> None:
    wait = sample_events()[3]
    assert "23.11 09:50 MSK" in render_event(Texts("en"), wait)
    assert "23.11 09:50 МСК" in render_event(Texts("ru"), wait)


def test_summary_and_rate_limit() -> None:
    events = sample_events()
    assert render_event(Texts("en"), events[11]) == (
        "✅ #7 sell 100 SBER done: [100/100] avg 281.4"
    )
    assert "3 s" in render_event(Texts("en"), events[5])


def test_user_error_with_params() -> None:
    error = UserError("parse.too_large", value=Decimal("1E+20"), usage="")
    assert render_user_error(Texts("en"), error).startswith(
        "100,000,000,000,000,000,000 is too large"
    )


def test_unknown_key_shows_key_and_params_instead_of_failing() -> None:
    assert Texts("en")("no.such.key", a=1) == "no.such.key (a=1)"


def test_jobs_and_health() -> None:
    texts = Texts("en")
    assert render_jobs(texts, []) == "No running tasks."
    job = JobInfo("3", "sellbuy", "sell 100 SBER", 40, 100, Decimal("281.1"), "running", AT)
    assert render_jobs(texts, [job], now=AT) == (
        "Running tasks: 1\n#3 sell 100 SBER: [40/100] avg 281.1, running, since 10:00 MSK"
    )
    health = Health(
        "paper", ComponentHealth(True, 3.4), ComponentHealth(False, None, "timeout"), "acc-1"
    )
    assert render_health(texts, health) == (
        "Mode: paper trading against the simulator\nBase: ok, 3 ms\n"
        "Broker: NOT AVAILABLE — timeout, account acc-1"
    )


def test_a_family_module_may_not_redefine_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import bot.texts as texts_module

    clash = types.ModuleType("clash")
    clash.EN = {"tasks.none": "again"}  # type: ignore[attr-defined]
    clash.RU = {"tasks.none": "снова"}  # type: ignore[attr-defined]
    monkeypatch.setattr(texts_module, "FAMILIES", (clash,))
    with pytest.raises(RuntimeError, match=r"tasks\.none"):
        texts_module._merged("en", CATALOGUES["en"])


# -- broker errors: one sentence in the owner's language, the code once (issue 8, item 10) -----


def test_every_broker_code_the_product_meets_is_translated() -> None:
    from bot.broker.error_codes import API_ERRORS

    for language in ("ru", "en"):
        missing = [code for code in API_ERRORS if f"broker.{code}" not in CATALOGUES[language]]
        assert not missing, (language, missing)
    cyrillic = re.compile("[а-яё]", re.I)
    for code in API_ERRORS:
        assert cyrillic.search(CATALOGUES["ru"][f"broker.{code}"]), code
        assert not cyrillic.search(CATALOGUES["en"][f"broker.{code}"]), code


def refused_by_broker(language: str, error: Exception) -> str:
    """What the owner reads when the broker refuses a job's order (as the engine reports it)."""
    from bot.engine.orders import OrderRefusedByBroker

    class _Order:
        class instrument:
            ticker = "LKOH"

    params = OrderRefusedByBroker(error, _Order()).params()  # type: ignore[arg-type]
    event = ev.OrderRefused(
        job_id="3", at=AT, ticker="LKOH", reason_key="broker_error", params=params
    )
    return render_event(Texts(language), event, now=AT)


def test_a_refused_order_reads_as_one_sentence_with_the_code_once() -> None:
    from bot.broker.errors import OrderRejected

    error = OrderRejected("Price is outside the limits", api_code="30099", method="PostOrder")
    ru = refused_by_broker("ru", error)
    assert ru == (
        "#3 LKOH: заявка отклонена — Брокер: цена вне допустимых границ инструмента (код 30099)"
    )
    assert ru.count("30099") == 1 and "Broker" not in ru and "Брокер: Брокер" not in ru
    en = refused_by_broker("en", error)
    assert en == (
        "#3 LKOH: order refused — Broker: the price is outside the instrument's price limits "
        "(code 30099)"
    )


def test_an_unknown_broker_code_keeps_the_brokers_words_and_translates_the_rest() -> None:
    from bot.broker.errors import OrderRejected, Unavailable
    from bot.telegram.errors import describe_error

    error = OrderRejected("Something new", api_code="39999")
    ru = refused_by_broker("ru", error)
    assert ru.endswith("брокер отклонил заявку: «Something new» (код 39999)"), ru
    assert ru.count("39999") == 1
    assert describe_error(Texts("ru"), Unavailable("")) == "Брокер: брокер временно недоступен"
    assert describe_error(Texts("ru"), OrderRejected("x", api_code="30034")) == (
        "Брокер: на счёте недостаточно денег (код 30034)"
    )


def test_health_shows_a_broker_failure_in_the_owners_language() -> None:
    from bot.broker.errors import Unauthenticated

    detail = Unauthenticated("bad token", api_code="40003").user_message()
    health = Health(
        mode="paper",
        base=ComponentHealth(ok=True, latency_ms=3),
        broker=ComponentHealth(ok=False, latency_ms=None, detail=detail),
    )
    text = render_health(Texts("ru"), health)
    assert "Брокер: НЕДОСТУПЕН — токен брокера не указан или недействителен (код 40003)" in text
    assert "Broker" not in text


def test_every_broker_error_family_is_translated() -> None:
    """What a BrokerError without a known code says comes out in the owner's language."""
    from bot.broker import errors
    from bot.texts.render import _broker_error_classes, broker_reason

    for cls in _broker_error_classes():
        kwargs = {"request_id": "r"} if cls is errors.OrderOutcomeUnknown else {}
        error = cls("", **kwargs)  # type: ignore[arg-type]
        ru = broker_reason(Texts("ru"), error.api_code, error.user_message())
        assert re.search("[а-яё]", ru) and "Broker" not in ru, (cls.__name__, ru)


def test_a_failed_cancel_reports_the_broker_in_the_owners_language() -> None:
    from bot.broker.errors import InvalidArgument

    message = InvalidArgument("cannot", api_code="30059").user_message()
    event = ev.Alert(
        job_id="3",
        at=AT,
        reason_key="cancel_failed",
        params={"ticker": "SBER", "client_order_id": "c-1", "message": message},
    )
    text = render_event(Texts("ru"), event, now=AT)
    assert "заявку не удалось снять (код 30059)" in text and "Broker" not in text, text


# -- one language at a time, with its grammar (issue 8, item 13) -------------------------------


def job_info(title: str, kind: str = "sellbuy") -> JobInfo:
    return JobInfo(
        job_id="3",
        kind=kind,  # type: ignore[arg-type]
        title=title,
        executed=0,
        amount=10,
        average_price=None,
        state="running",
        started_at=AT,
    )


def test_job_titles_are_words_of_the_owners_language() -> None:
    ru = render_jobs(Texts("ru"), [job_info("sell 10 SBER"), job_info("buy SRH7/SBER", "spread")])
    assert "#3 продажа 10 SBER: [0/10]" in ru
    assert "#3 покупка спреда SRH7/SBER: [0/10]" in ru
    assert "купля/продажа" not in ru and "sell" not in ru and "buy" not in ru
    en = render_jobs(Texts("en"), [job_info("sell 10 SBER"), job_info("buy SRH7/SBER", "spread")])
    assert "#3 sell 10 SBER: [0/10]" in en and "#3 buy spread SRH7/SBER: [0/10]" in en
    started = ev.JobStarted(job_id="3", at=AT, kind="sellbuy", title="buy 10 SBER", amount=10)
    assert render_event(Texts("ru"), started, now=AT) == "▶ #3 покупка 10 SBER: запущена, 10 шт."


@pytest.mark.parametrize(
    ("amount", "english"),
    [(1, "1 piece."), (2, "2 pieces."), (21, "21 pieces."), (1000, "1000 pieces.")],
)
def test_english_counts_agree_with_their_number(amount: int, english: str) -> None:
    started = ev.JobStarted(job_id="3", at=AT, kind="sellbuy", title="buy 10 SBER", amount=amount)
    assert render_event(Texts("en"), started, now=AT).endswith("started, " + english)


def test_plural_forms_follow_each_languages_rule() -> None:
    from bot.texts import plural_form

    en, ru = ["lot", "lots"], ["лот", "лота", "лотов"]
    assert [plural_form(n, en) for n in ("1", "2", "0", "1,000", "1.5")] == [
        "lot",
        "lots",
        "lots",
        "lots",
        "lots",
    ]
    shown = [plural_form(n, ru) for n in ("1", "2", "5", "11", "12", "21", "22", "25", "1,5")]
    assert shown == ["лот", "лота", "лотов", "лотов", "лотов", "лот", "лота", "лотов", "лота"]


def test_a_sum_below_one_lot_reads_right_for_a_sale_and_a_purchase() -> None:
    error = UserError(
        "sum_below_lot", ticker="LKOH", sum=Decimal("1000"), lot=1, lot_price=Decimal("7000")
    )
    ru = render_user_error(Texts("ru"), error)
    assert ru == "LKOH: 1\u00a0000,00 ₽ — меньше одного лота (лот из 1 шт. стоит 7\u00a0000,00 ₽)."
    assert "купить" not in ru
    en = render_user_error(Texts("en"), error)
    assert en == "LKOH: 1,000.00 RUB is less than one lot (a lot of 1 piece costs 7,000.00 RUB)."
