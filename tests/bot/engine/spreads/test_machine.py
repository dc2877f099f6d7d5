"""The spread job's decision logic (pure state machine): what it places, pulls, hedges."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.order_moves import MoveRules
from bot.engine.spreads.machine import (
    HEDGE_FAILED,
    HEDGE_RESTORED,
    HEDGE_WAITS_SESSION,
    LEFT_UNHEDGED,
    Action,
    Alert,
    Cancel,
    Filled,
    Finish,
    OrderSnapshot,
    OrderUpdate,
    Place,
    SessionClosed,
    SpreadConfig,
    SpreadMachine,
)
from bot.engine.spreads.maths import Book, LegSpec, Level, hedge_target_pieces

D = Decimal
SBER = LegSpec("SBER", "share", lot=10, min_price_increment=D("0.01"))
SRH7 = LegSpec("SRH7", "future", 1, D("1"), D("1"), basic_asset_size=D("100"))


def book(bids: list[tuple[str, int]], asks: list[tuple[str, int]]) -> Book:
    return Book(
        bids=tuple(Level(D(p), q) for p, q in bids), asks=tuple(Level(D(p), q) for p, q in asks)
    )


# sell far at 31500 (ask), hedge buys SBER asks 300.00 × 20 lots: spread 1500 for ≤ 2 contracts
FAR = book([("31400", 50)], [("31500", 50), ("31510", 50)])
NEAR = book([("299.90", 100)], [("300.00", 20), ("300.50", 100)])
NEAR_AWAY = book([("299.90", 100)], [("301.00", 100)])  # spread 31500 − 30100 = 1400


def config(**kw: object) -> SpreadConfig:
    base: dict[str, object] = {
        "spread_id": 1,
        "direction": "sell",
        "far": SRH7,
        "near": SBER,
        "ratio": D("100"),
        "amount": 5,
        "target": D("1450"),
    }
    base.update(kw)
    return SpreadConfig(**base)  # type: ignore[arg-type]


def machine(cfg: SpreadConfig | None = None, orders: Sequence[OrderSnapshot] = ()) -> SpreadMachine:
    counter = itertools.count(1)
    return SpreadMachine(cfg or config(), lambda: f"id-{next(counter)}", orders)


def of(actions: list[Action], kind: type) -> list:  # type: ignore[type-arg]
    return [a for a in actions if isinstance(a, kind)]


def open_market(m: SpreadMachine, far: Book = FAR, near: Book = NEAR) -> list[Action]:
    acts = m.on_session("far", True, 0) + m.on_session("near", True, 0)
    acts += m.on_book("near", near, 0)
    acts += m.on_book("far", far, 0)
    return acts


def ack(m: SpreadMachine, place: Place, now: float = 0) -> list[Action]:
    return m.on_order(OrderUpdate(place.client_order_id, "new", 0), now)


def fill(
    m: SpreadMachine, place: Place, lots: int, price: str, *, final: bool = False, now: float = 0
) -> list[Action]:
    status = "filled" if final else "partially_filled"
    return m.on_order(OrderUpdate(place.client_order_id, status, lots, D(price)), now)


# --------------------------------------------------------------------------- far order


def test_nothing_is_placed_before_both_books_and_sessions() -> None:
    m = machine()
    assert m.on_book("far", FAR, 0) == []
    assert m.on_book("near", NEAR, 0) == []
    assert m.on_session("far", True, 0) == []
    acts = m.on_session("near", False, 0)
    assert of(acts, Place) == [] and of(acts, SessionClosed) == [SessionClosed(("SBER",))]
    acts = m.on_session("near", True, 0)
    assert len(of(acts, Place)) == 1


def test_one_far_order_at_the_best_ask_sized_to_the_hedgeable_depth() -> None:
    m = machine()
    places = of(open_market(m), Place)
    assert len(places) == 1
    p = places[0]
    # 2 contracts hedge at 300.00 (spread 1500); the 3rd walks to 300.50 (avg 300.1667 → 1483)
    # which still meets 1450; the 4th: 20×300 + 20×300.5 → 1475; 5th → 1470: all 5 meet it.
    assert (p.leg, p.direction, p.price, p.order_type, p.hedge) == (
        "far",
        "sell",
        D("31500"),
        "limit",
        False,
    )
    assert p.lots == 5
    # more book updates while it is unacknowledged or unchanged never add a second far order
    assert of(m.on_book("far", FAR, 0), Place) == []
    assert of(ack(m, p), Place) == []
    assert of(m.on_book("near", NEAR, 0), Place) == []
    assert of(m.on_book("near", NEAR, 0), Cancel) == []


def test_far_order_sized_down_when_the_target_is_tighter() -> None:
    m = machine(config(target=D("1490")))
    p = of(open_market(m), Place)[0]
    assert p.lots == 2  # only two contracts hedge at a spread ≥ 1490


def test_far_order_pulled_when_the_spread_moves_away_and_placed_again_when_it_returns() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    acts = m.on_book("near", NEAR_AWAY, 1)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]
    # nothing new while the cancel is in flight, nor once cancelled while the spread is away
    assert of(m.on_book("near", NEAR_AWAY, 2), Place) == []
    acts = m.on_order(OrderUpdate(p.client_order_id, "cancelled", 0), 3)
    assert of(acts, Place) == []
    acts = m.on_book("near", NEAR, 4)
    again = of(acts, Place)
    assert len(again) == 1 and again[0].price == D("31500")
    assert again[0].client_order_id != p.client_order_id


def test_far_order_moves_when_the_best_ask_moves() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    lower = book([("31400", 50)], [("31499", 3), ("31500", 55)])
    acts = m.on_book("far", lower, 1)
    assert of(acts, Cancel) == [], "a new price moves the order only once it has held"
    acts = m.on_tick(2)  # held for a second (MoveRules.hold)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]
    acts = m.on_order(OrderUpdate(p.client_order_id, "cancelled", 0), 2)
    new = of(acts, Place)
    assert len(new) == 1 and new[0].price == D("31499")


def test_our_own_order_alone_at_the_top_rejoins_the_next_level() -> None:
    m = machine()
    p = of(open_market(m, far=book([("31400", 50)], [("31500", 50), ("31510", 50)])), Place)[0]
    ack(m, p)
    # others still at 31500 besides our lots: stay
    acts = m.on_book("far", book([("31400", 50)], [("31500", p.lots + 3), ("31510", 50)]), 1)
    assert of(acts, Cancel) == []
    # the others at 31500 left: the lots there are ours; a seller can ask more
    # (a less aggressive price is taken at once: no hold)
    acts = m.on_book("far", book([("31400", 50)], [("31500", p.lots), ("31510", 50)]), 1)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]
    acts = m.on_order(OrderUpdate(p.client_order_id, "cancelled", 0), 2)
    assert [a.price for a in of(acts, Place)] == [D("31510")]


def test_session_closed_pulls_the_far_order_and_reports_a_wait() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    acts = m.on_session("near", False, 1)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]
    assert of(acts, SessionClosed) == [SessionClosed(("SBER",))]
    m.on_order(OrderUpdate(p.client_order_id, "cancelled", 0), 2)
    assert of(m.on_book("near", NEAR, 3), Place) == []
    acts = m.on_session("near", True, 4)
    assert len(of(acts, Place)) == 1


# --------------------------------------------------------------------------- hedges


def test_each_far_fill_is_hedged_at_once_for_exactly_the_unhedged_quantity() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    acts = fill(m, p, 1, "31500")
    f = of(acts, Filled)
    assert f[0].leg == "far" and f[0].pieces == 1 and f[0].executed == 1 and f[0].leg_amount == 5
    hedges = of(acts, Place)
    assert len(hedges) == 1
    h = hedges[0]
    assert (h.leg, h.direction, h.lots, h.hedge) == ("near", "buy", 10, True)
    assert h.price is not None and h.price >= D("300.00")  # marketable: crosses the ask
    # hedges come before any far action in the list (sent first)
    assert acts.index(h) < len(acts)
    # a second far fill while the first hedge is still in flight: only the increment
    acts = fill(m, p, 3, "31500")
    h2 = of(acts, Place)
    assert len(h2) == 1 and h2[0].lots == 20
    # the same update again changes nothing
    assert of(fill(m, p, 3, "31500"), Place) == []
    assert m.hedge_needed() == 0
    assert m.unhedged_pieces() == 300


def test_hedge_fills_give_the_average_spread() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    h = of(fill(m, p, 1, "31500"), Place)[0]
    acts = m.on_order(OrderUpdate(h.client_order_id, "filled", 10, D("300.05")), 1)
    f = of(acts, Filled)[0]
    assert (f.leg, f.pieces, f.executed, f.leg_amount) == ("near", 100, 100, 500)
    assert f.average_spread == D("1495")
    assert m.unhedged_pieces() == 0


def test_fill_price_of_each_step_from_cumulative_averages() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    fill(m, p, 1, "31500")
    f = of(fill(m, p, 3, "31510"), Filled)[0]  # avg 31510 over 3 → this step 2 @ 31515
    assert f.pieces == 2 and f.price == D("31515") and f.average_price == D("31510")


def test_rejected_hedge_alerts_blocks_the_far_leg_and_retries_with_backoff() -> None:
    m = machine(config(backoff_base=1.0))
    p = of(open_market(m), Place)[0]
    ack(m, p)
    h = of(fill(m, p, 1, "31500", now=10), Place)[0]
    acts = m.on_place_failed(h.client_order_id, "Instrument is not available", 10)
    alerts = of(acts, Alert)
    assert alerts and alerts[0].reason_key == HEDGE_FAILED
    assert alerts[0].params["attempt"] == "1" and alerts[0].params["lots"] == "10"
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]  # far stops growing
    assert of(acts, Place) == []  # not at once: backoff
    assert m.wake_at() == 11.0
    assert of(m.on_tick(10.5), Place) == []
    retry = of(m.on_tick(11.0), Place)
    assert len(retry) == 1 and retry[0].lots == 10 and retry[0].client_order_id != h.client_order_id
    # second failure: backoff doubles
    m.on_order(OrderUpdate(retry[0].client_order_id, "rejected", 0, message="no"), 11.0)
    assert m.wake_at() == 13.0
    # far cancel completes; nothing placed on the far leg while unhedged
    assert of(m.on_order(OrderUpdate(p.client_order_id, "cancelled", 1), 12), Place) == []
    r3 = of(m.on_tick(13.0), Place)
    assert len(r3) == 1 and r3[0].leg == "near"
    acts = m.on_order(OrderUpdate(r3[0].client_order_id, "filled", 10, D("300")), 14)
    assert [a.reason_key for a in of(acts, Alert)] == [HEDGE_RESTORED]
    far_again = of(acts, Place)
    assert len(far_again) == 1 and far_again[0].leg == "far" and far_again[0].lots == 4


def test_partially_filled_hedge_that_times_out_is_cancelled_and_the_rest_re_hedged() -> None:
    m = machine(config(hedge_timeout=5.0, backoff_base=0.5))
    p = of(open_market(m), Place)[0]
    ack(m, p)
    h = of(fill(m, p, 2, "31500", now=0), Place)[0]
    assert h.lots == 20
    m.on_order(OrderUpdate(h.client_order_id, "partially_filled", 12, D("300")), 1)
    assert m.wake_at() == 5.0
    assert of(m.on_tick(4.9), Cancel) == []
    acts = m.on_tick(5.0)
    assert Cancel(h.client_order_id, "near") in acts
    acts = m.on_order(OrderUpdate(h.client_order_id, "cancelled", 12, D("300")), 5.1)
    assert of(acts, Alert)[0].params["message"] == "timeout"
    retry = of(m.on_tick(5.6), Place)
    assert [(r.leg, r.lots) for r in retry] == [("near", 8)]


def test_market_hedges_when_configured_or_the_book_is_empty() -> None:
    m = machine(config(market_hedges=True))
    p = of(open_market(m), Place)[0]
    ack(m, p)
    h = of(fill(m, p, 1, "31500"), Place)[0]
    assert h.order_type == "market" and h.price is None


def test_hedge_waits_for_the_near_session() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    m.on_session("near", False, 1)
    acts = fill(m, p, 1, "31500", final=False, now=2)
    assert of(acts, Place) == []
    assert [(a.reason_key, a.params["pieces"]) for a in of(acts, Alert)] == [
        (HEDGE_WAITS_SESSION, "100")
    ]
    assert of(m.on_tick(2.5), Alert) == []  # said once
    acts = m.on_session("near", True, 3)
    assert [(a.leg, a.lots) for a in of(acts, Place)] == [("near", 10)]


# --------------------------------------------------------------------------- stop, done, restart


def test_stop_pulls_the_far_order_waits_for_hedges_and_finishes_hedged() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    h = of(fill(m, p, 1, "31500"), Place)[0]
    acts = m.stop(1)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")] and not of(acts, Finish)
    # the far order fills one more lot before the cancel lands: hedged too
    acts = m.on_order(OrderUpdate(p.client_order_id, "cancelled", 2, D("31500")), 2)
    assert [(a.leg, a.lots) for a in of(acts, Place)] == [("near", 10)]
    h2 = of(acts, Place)[0]
    assert not of(acts, Finish)
    m.on_order(OrderUpdate(h.client_order_id, "filled", 10, D("300")), 3)
    acts = m.on_order(OrderUpdate(h2.client_order_id, "filled", 10, D("300")), 4)
    assert of(acts, Finish) == [Finish("stopped")]
    assert m.executed("far") == 2 and m.executed("near") == 200
    assert m.on_book("far", FAR, 5) == []


def test_stop_gives_up_loudly_after_repeated_hedge_failures() -> None:
    m = machine(config(stop_hedge_attempts=2, backoff_base=1))
    p = of(open_market(m), Place)[0]
    ack(m, p)
    acts = fill(m, p, 1, "31500", final=True)
    h, nxt = of(acts, Place)  # the hedge, then the next far order for the rest
    assert (h.leg, nxt.leg, nxt.lots) == ("near", "far", 4)
    assert of(m.stop(0), Cancel) == []  # the next far order is not acknowledged yet
    assert of(ack(m, nxt), Cancel) == [Cancel(nxt.client_order_id, "far")]
    m.on_order(OrderUpdate(nxt.client_order_id, "cancelled", 0), 0)
    m.on_place_failed(h.client_order_id, "x", 0)
    r = of(m.on_tick(1), Place)[0]
    acts = m.on_place_failed(r.client_order_id, "x", 1)
    fin = of(acts, Finish)
    assert fin and fin[0].outcome == "failed" and fin[0].reason_key == LEFT_UNHEDGED
    assert fin[0].params["pieces"] == "100"


def test_done_when_the_amount_is_filled_and_hedged_never_more() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    h = of(fill(m, p, 5, "31500", final=True), Place)
    assert [x.lots for x in h] == [50]
    # no new far order: the amount is done
    acts = m.on_book("far", FAR, 1)
    assert of(acts, Place) == []
    acts = m.on_order(OrderUpdate(h[0].client_order_id, "filled", 50, D("300.40")), 2)
    assert of(acts, Finish) == [Finish("done")]
    assert m.executed("far") == 5 and m.executed("near") == 500


def test_restart_after_a_far_fill_before_the_hedge() -> None:
    snaps = [
        OrderSnapshot("old-far", "far", "sell", 5, "cancelled", 2, D("31500"), D("31500")),
        OrderSnapshot("old-near", "near", "buy", 10, "filled", 10, D("300"), D("300.2")),
    ]
    m = machine(orders=snaps)
    assert m.executed("far") == 2 and m.executed("near") == 100
    acts = m.on_session("far", True, 0) + m.on_session("near", True, 0) + m.start(0)
    assert of(acts, Place) == []  # no near book yet: a hedge is priced off it
    acts = m.on_book("near", NEAR, 0)
    assert [(a.leg, a.lots) for a in of(acts, Place)] == [("near", 10)]
    acts = m.on_book("far", FAR, 0)
    far = [a for a in of(acts, Place) if a.leg == "far"]
    assert [a.lots for a in far] == [3]  # never beyond the amount


def test_restart_during_a_hedge_adopts_it_instead_of_sending_another() -> None:
    snaps = [
        OrderSnapshot("f", "far", "sell", 5, "partially_filled", 2, D("31500"), D("31500")),
        OrderSnapshot("h", "near", "buy", 20, "new", 0, None, D("300.2")),
    ]
    m = machine(orders=snaps)
    open_acts = m.on_session("far", True, 0) + m.on_session("near", True, 0) + m.start(0)
    assert of(open_acts, Place) == []
    acts = m.on_book("near", NEAR, 0) + m.on_book("far", FAR, 0)
    assert of(acts, Place) == []  # the adopted far order still stands at the right price
    assert m.far_order() is not None and m.far_order().client_order_id == "f"  # type: ignore[union-attr]


def test_an_adopted_hedge_times_out_from_its_placement_not_at_once() -> None:
    # the bot restarted 3 s after placing a hedge (machine time is epoch seconds): it keeps
    # resting until its own time-out, 10 s after it was placed, then is re-sent
    placed = 1_764_806_400.0
    snaps = [
        OrderSnapshot("f", "far", "sell", 5, "partially_filled", 2, D("31500"), D("31500")),
        OrderSnapshot("h", "near", "buy", 20, "new", 0, None, D("300.2"), placed_at=placed),
    ]
    m = machine(orders=snaps)
    now = placed + 3
    acts = m.on_session("far", True, now) + m.on_session("near", True, now) + m.start(now)
    acts += m.on_book("near", NEAR, now) + m.on_book("far", FAR, now) + m.on_tick(now)
    assert of(acts, Cancel) == [] and of(acts, Place) == []
    assert m.wake_at() == placed + 10
    assert of(m.on_tick(placed + 9.9), Cancel) == []
    assert [c.client_order_id for c in of(m.on_tick(placed + 10), Cancel)] == ["h"]


def test_an_adopted_hedge_of_unknown_age_counts_as_old() -> None:
    snaps = [
        OrderSnapshot("f", "far", "sell", 5, "partially_filled", 2, D("31500"), D("31500")),
        OrderSnapshot("h", "near", "buy", 20, "new", 0, None, D("300.2")),
    ]
    m = machine(orders=snaps)
    now = 1_764_806_400.0
    m.on_session("far", True, now)
    m.on_session("near", True, now)
    m.start(now)
    assert [c.client_order_id for c in of(m.on_tick(now), Cancel)] == ["h"]


def test_restart_with_two_open_far_orders_pulls_both() -> None:
    snaps = [
        OrderSnapshot("f1", "far", "sell", 2, "new", 0, None, D("31500")),
        OrderSnapshot("f2", "far", "sell", 2, "new", 0, None, D("31490")),
    ]
    m = machine(orders=snaps)
    acts = m.start(0)
    assert sorted(c.client_order_id for c in of(acts, Cancel)) == ["f1", "f2"]


def test_buying_the_spread_mirrors_everything() -> None:
    m = machine(config(direction="buy", target=D("1420")))
    p = of(open_market(m), Place)[0]
    # buy far at the best bid 31400; hedge sells SBER bids at 299.90: spread 1410 ≤ 1420
    assert (p.direction, p.price) == ("buy", D("31400"))
    ack(m, p)
    h = of(fill(m, p, 1, "31400"), Place)[0]
    assert (h.direction, h.lots) == ("sell", 10) and h.price is not None
    assert h.price <= D("299.90")


def test_fractional_ratio_keeps_the_remainder_and_never_accumulates_it() -> None:
    m = machine(config(ratio=D("7"), near=SBER, amount=9, target=D("-100000")))
    p = of(open_market(m), Place)[0]
    ack(m, p)
    sent = 0
    for lots in range(1, 10):
        for h in of(fill(m, p, lots, "31500", final=lots == 9), Place):
            assert h.leg == "near"
            sent += h.lots * 10
            m.on_order(OrderUpdate(h.client_order_id, "filled", h.lots, D("300")), 0)
        assert abs(D(lots) * 7 - m.executed("near")) <= 5
    assert sent == hedge_target_pieces(9, D("7"), 10) == 60


# --------------------------------------------------------------------------- random model test


class _Exchange:
    """A toy counterpart: acknowledges, fills randomly, rejects now and then."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.orders: dict[str, Place] = {}
        self.executed: dict[str, int] = {}
        self.final: set[str] = set()

    def run(self, m: SpreadMachine, actions: list[Action], now: float) -> list[Action]:
        out: list[Action] = []
        queue = list(actions)
        while queue:
            a = queue.pop(0)
            out.append(a)
            if isinstance(a, Place):
                if a.hedge and self.rng.random() < 0.15:
                    queue += m.on_place_failed(a.client_order_id, "refused", now)
                    continue
                self.orders[a.client_order_id] = a
                self.executed[a.client_order_id] = 0
                queue += m.on_order(OrderUpdate(a.client_order_id, "new", 0), now)
            elif isinstance(a, Cancel):
                cid = a.client_order_id
                if cid in self.final:
                    queue += m.on_cancel_failed(cid, now)
                    continue
                self.final.add(cid)
                queue += m.on_order(OrderUpdate(cid, "cancelled", self.executed[cid], D("1")), now)
        return out

    def random_fill(self, m: SpreadMachine, now: float) -> list[Action]:
        live = [c for c in self.orders if c not in self.final]
        if not live:
            return []
        cid = self.rng.choice(live)
        place = self.orders[cid]
        left = place.lots - self.executed[cid]
        self.executed[cid] += self.rng.randint(1, left)
        done = self.executed[cid] == place.lots
        if done:
            self.final.add(cid)
        status = "filled" if done else "partially_filled"
        return self.run(
            m, m.on_order(OrderUpdate(cid, status, self.executed[cid], D("1")), now), now
        )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    ratio=st.sampled_from([D("100"), D("7"), D("1"), D("10")]),
    amount=st.integers(1, 12),
    direction=st.sampled_from(["buy", "sell"]),
)
def test_random_runs_never_exceed_the_amount_and_end_neutral(
    seed: int, ratio: Decimal, amount: int, direction: str
) -> None:
    rng = random.Random(seed)
    cfg = config(
        ratio=ratio,
        amount=amount,
        direction="sell" if direction == "sell" else "buy",
        target=D("-1000000") if direction == "sell" else D("1000000"),
        backoff_base=0.1,
        hedge_timeout=1.0,
    )
    m = machine(cfg)
    ex = _Exchange(rng)
    now = 0.0
    deep_near = book([("299", 10_000)], [("300", 10_000)])
    ex.run(m, open_market(m, near=deep_near), now)
    finished = None
    for step in range(2000):
        now += 0.05
        r = rng.random()
        if r < 0.5:
            acts = ex.random_fill(m, now)
        elif r < 0.7:
            bump = D(rng.randint(-3, 3))
            far = book([(str(31400 + bump), 50)], [(str(31500 + bump), 50)])
            acts = ex.run(m, m.on_book("far", far, now), now)
        elif r < 0.72 and step > 200:
            acts = ex.run(m, m.stop(now), now)
        else:
            acts = ex.run(m, m.on_tick(now), now)
        # invariants after every step
        far_live = [o for o in m.open_orders() if o.leg == "far"]
        assert len(far_live) <= 1
        assert m.executed("far") <= cfg.amount
        target = hedge_target_pieces(m.executed("far"), ratio, SBER.lot)
        assert m.hedge_needed() >= 0 or m.executed("near") <= target
        in_flight = sum(o.remaining for o in m.open_orders() if o.leg == "near") * SBER.lot
        assert m.executed("near") + in_flight <= hedge_target_pieces(cfg.amount, ratio, SBER.lot)
        assert m.executed("near") + in_flight <= max(target, m.executed("near"))
        fins = of(acts, Finish)
        if fins:
            finished = fins[0]
            break
    if finished is None:
        # drain: fill every open order until done
        m_stop = ex.run(m, m.stop(now), now)
        finished = (of(m_stop, Finish) or [None])[0]
        for _ in range(500):
            if finished is not None:
                break
            now += 1.0
            acts = ex.random_fill(m, now) + ex.run(m, m.on_tick(now), now)
            finished = (of(acts, Finish) or [None])[0]
    assert finished is not None, (m.executed("far"), m.executed("near"), m.open_orders())
    if finished.outcome in ("done", "stopped"):
        target = hedge_target_pieces(m.executed("far"), ratio, SBER.lot)
        assert m.executed("near") == target
        assert not m.open_orders()


def test_hedge_waits_when_the_near_side_is_empty() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    m.on_book("near", book([("299.90", 100)], []), 1)  # far order pulled: nothing to hedge with
    acts = fill(m, p, 1, "31500", now=2)
    assert of(acts, Place) == []
    acts = m.on_book("near", NEAR, 3)
    assert [(a.leg, a.lots) for a in of(acts, Place)] == [("near", 10)]


def test_paused_far_leg_is_pulled_while_hedges_carry_on() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    fills = fill(m, p, 1, "31500")
    assert [a.leg for a in of(fills, Place)] == ["near"]
    acts = m.pause_far(True, 1)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]
    m.on_order(OrderUpdate(p.client_order_id, "cancelled", 1, D("31500")), 2)
    assert of(m.on_book("far", FAR, 3), Place) == []
    assert [a.leg for a in of(m.pause_far(False, 4), Place)] == ["far"]


def test_hedge_price_kept_inside_the_price_band() -> None:
    from dataclasses import dataclass

    @dataclass
    class BandBook:
        bids: tuple[Level, ...]
        asks: tuple[Level, ...]
        limit_up: Decimal
        limit_down: Decimal

    near = BandBook(NEAR.bids, NEAR.asks, D("300.05"), D("290"))
    m = machine()
    p = of(open_market(m, near=near), Place)[0]  # type: ignore[arg-type]
    ack(m, p)
    h = of(fill(m, p, 1, "31500"), Place)[0]
    assert h.price == D("300.05")


def test_far_orders_capped_after_a_too_large_refusal() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    assert p.lots == 5
    acts = m.cap_far_lots(p.client_order_id, 2, 1)
    again = of(acts, Place)
    assert [(a.leg, a.lots) for a in again] == [("far", 2)] and not of(acts, Alert)
    ack(m, again[0])
    nxt = of(fill(m, again[0], 2, "31500", final=True), Place)
    assert sorted((a.leg, a.lots) for a in nxt) == [("far", 2), ("near", 20)]


# ------------------------------------------------------------------ no churn (issue 8, item 4)


def test_a_flickering_best_price_never_moves_the_far_order() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    lower = book([("31400", 50)], [("31499", 3), ("31500", 55)])
    t = 0.0
    for _ in range(200):  # a neighbour price appears and goes every 20 ms
        t += 0.02
        acts = m.on_book("far", lower, t) + m.on_tick(t)
        t += 0.02
        acts += m.on_book("far", FAR, t) + m.on_tick(t)
        assert of(acts, Cancel) == [] and of(acts, Place) == []


def test_far_placements_per_minute_are_bounded() -> None:
    cfg = replace(config(), far_moves=MoveRules(hold=0.0, per_minute=3))
    m = machine(cfg)
    placed = of(open_market(m), Place)
    t = 0.0
    prices = ["31499", "31498", "31497", "31496", "31495"]
    for price in prices:  # the best ask keeps falling: each new price holds
        p = placed[-1]
        ack(m, p, t)
        t += 1
        m.on_book("far", book([("31400", 50)], [(price, 3), ("31500", 55)]), t)
        acts = m.on_tick(t) + m.on_order(OrderUpdate(p.client_order_id, "cancelled", 0), t)
        placed += of(acts, Place)
        if len(placed) == 3:
            break
    assert len(placed) == 3
    ack(m, placed[-1], t)
    t += 1
    acts = m.on_book("far", book([("31400", 50)], [("31490", 3), ("31500", 55)]), t)
    acts += m.on_tick(t)
    assert of(acts, Cancel) == [], "the minute's budget is spent: the order stays"
    acts = m.on_tick(61)
    assert of(acts, Cancel) == [Cancel(placed[-1].client_order_id, "far")]


def test_a_far_order_whose_target_is_gone_is_pulled_at_once() -> None:
    m = machine()
    p = of(open_market(m), Place)[0]
    ack(m, p)
    dear = NEAR_AWAY  # the hedge now costs more: the spread misses the target
    acts = m.on_book("near", dear, 0.01)
    assert of(acts, Cancel) == [Cancel(p.client_order_id, "far")]
    acts = m.on_order(OrderUpdate(p.client_order_id, "cancelled", 0), 0.02)
    acts += m.on_book("near", NEAR, 0.03)
    assert of(acts, Place) == [], "after a pull the next far order waits for the hold"
    acts = m.on_tick(1.1)
    assert len(of(acts, Place)) == 1
