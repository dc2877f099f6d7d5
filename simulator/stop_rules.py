"""The broker's rules for a new stop order, as the simulator applies them.

- The stop-order service works on trading days only: on weekends and exchange holidays a new
  stop order is refused with 30092 (the broker's dealer weekend session takes no stop orders).
  In "always open" mode every day is a trading day.
- The type must suit the direction and the current (last) price: a buy triggered at or below the
  price and a sell triggered at or above it are take-profit orders; a stop-loss buy must sit at
  or above the price and a stop-loss sell at or below it. The wrong type is refused with 30053
  "Post stop_order error: ...", as the real broker does (NOTES.md section 10). Stop-limit orders
  are not checked: the broker's rule for them is not documented.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from simulator.errors import ApiError
from simulator.orders import STOP_LOSS, STOP_TAKE_PROFIT, StopOrder
from simulator.sessions import MOSCOW, SessionMode, is_trading_day


def check_day(mode: SessionMode, now: datetime) -> None:
    if mode == SessionMode.ALWAYS_OPEN:
        return
    if not is_trading_day(now.astimezone(MOSCOW).date()):
        raise ApiError(30092)


def check_side(stop: StopOrder, last: Decimal | None) -> None:
    if last is None or last <= 0:
        return
    if stop.stop_type == STOP_TAKE_PROFIT:
        wrong = stop.stop_price > last if stop.buy else stop.stop_price < last
        if wrong:
            side = "above" if stop.buy else "below"
            raise ApiError(
                30053,
                detail=f"a take-profit {'buy' if stop.buy else 'sell'} stop price must not be "
                f"{side} the current price {last}",
            )
        return
    if stop.stop_type != STOP_LOSS:
        return
    wrong = stop.stop_price < last if stop.buy else stop.stop_price > last
    if wrong:
        side = "below" if stop.buy else "above"
        raise ApiError(
            30053,
            detail=f"a stop-loss {'buy' if stop.buy else 'sell'} stop price must not be "
            f"{side} the current price {last}",
        )
