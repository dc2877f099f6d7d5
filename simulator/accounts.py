"""Accounts: money, positions, blocking and fills (commission 0.05 %, futures margin)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from simulator.instruments import Instrument

COMMISSION_RATE = Decimal("0.0005")
CENT = Decimal("0.01")


def commission(value: Decimal) -> Decimal:
    return (abs(value) * COMMISSION_RATE).quantize(CENT)


@dataclass
class Position:
    instrument: Instrument
    balance: int = 0  # pieces for shares, contracts for futures; negative = short
    blocked: int = 0  # pieces held for resting sell orders
    average_price: Decimal = Decimal(0)  # per piece (shares) or in points (futures)

    def available(self) -> int:
        return self.balance - self.blocked


@dataclass
class Account:
    id: str
    name: str
    opened: datetime
    money: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    #: Money held for resting buy orders, by exchange order id.
    order_blocks: dict[str, Decimal] = field(default_factory=dict)

    def position(self, inst: Instrument) -> Position:
        pos = self.positions.get(inst.uid)
        if pos is None:
            pos = self.positions[inst.uid] = Position(inst)
        return pos

    def futures_margin(self) -> Decimal:
        return sum(
            (abs(p.balance) * p.instrument.initial_margin)
            for p in self.positions.values()
            if p.instrument.is_future
        ) or Decimal(0)

    def blocked_money(self) -> Decimal:
        return sum(self.order_blocks.values(), Decimal(0)) + self.futures_margin()

    def free_money(self) -> Decimal:
        return self.money - self.blocked_money()

    def short_collateral(self) -> Decimal:
        """Money a short share position ties up (value × dshort at the average price)."""
        total = Decimal(0)
        for p in self.positions.values():
            if not p.instrument.is_future and p.balance < 0:
                total += -p.balance * p.average_price * p.instrument.dshort
        return total

    def apply_fill(self, inst: Instrument, buy: bool, lots: int, price: Decimal) -> Decimal:
        """Book a trade of ``lots`` at ``price``; returns the commission charged."""
        units = lots * inst.lot
        value = inst.lot_value(price) * lots
        fee = commission(value)
        pos = self.position(inst)
        signed = units if buy else -units
        old = pos.balance
        new = old + signed
        if inst.is_future:
            closed = min(abs(old), abs(signed)) if old * signed < 0 else 0
            if closed:
                per_point = inst.min_price_increment_amount / inst.min_price_increment
                direction = 1 if old > 0 else -1
                self.money += (price - pos.average_price) * per_point * closed * direction
            self.money -= fee
        else:
            self.money += -value - fee if buy else value - fee
        if old == 0 or (old > 0) == (signed > 0):
            total = abs(old) + abs(signed)
            pos.average_price = (pos.average_price * abs(old) + price * abs(signed)) / total
        elif abs(signed) > abs(old):
            pos.average_price = price
        pos.balance = new
        if new == 0:
            pos.average_price = Decimal(0)
        return fee
