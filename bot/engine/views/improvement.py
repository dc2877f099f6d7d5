"""The reference of the price improvement: what crossing the spread would have paid when an
order was placed (the opposite best price). The Base sums the improvement of each fill against
it (trademan/base/reports.py); this only picks the price to record with the order."""

from __future__ import annotations

from decimal import Decimal

from bot.broker.types import OrderBook
from bot.engine.events import Direction


def crossing_price(book: OrderBook | None, direction: Direction) -> Decimal | None:
    """Best ask when buying, best bid when selling; None without a book or that side."""
    if book is None:
        return None
    return book.best_ask if direction == "buy" else book.best_bid


def improvement(direction: Direction, price: Decimal, opposite: Decimal, pieces: int) -> Decimal:
    """Quote units saved on one fill against crossing: buying `opposite − price`, selling
    `price − opposite`, times the pieces (negative when the fill was worse)."""
    gap = opposite - price if direction == "buy" else price - opposite
    return gap * pieces
