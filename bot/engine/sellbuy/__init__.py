"""The sell/buy family: /sell, /buy, /sellbuy, /dump.

`core` decides (prices, sizing and budgets, shorts, order moves), `job` runs one task's orders,
`desk` drives the commands and the resumption after a restart.
"""

from bot.engine.sellbuy.core import passive_price
from bot.engine.sellbuy.job import START_READ_TIMEOUT, SellBuyRun, SellBuySpec

__all__ = ["START_READ_TIMEOUT", "SellBuyRun", "SellBuySpec", "passive_price"]
