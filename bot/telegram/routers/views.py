"""/portfolio, /orders, /stats [period], /chart N — the owner's views (bot.engine.views)."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands.views import parse_chart, parse_period
from bot.engine.interface import Trader
from bot.engine.views.stats import PERIODS
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render_views import (
    chart_caption,
    chart_labels,
    render_live_orders,
    render_portfolio,
    render_stats,
)


def make_router() -> Router:
    router = Router(name="views")

    @router.message(Command("portfolio"))
    async def portfolio(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        view = await trader.views.portfolio()
        outbox.send(message.chat.id, render_portfolio(texts, view))

    @router.message(Command("orders"))
    async def orders(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        found = await trader.views.live_orders()
        outbox.send(message.chat.id, render_live_orders(texts, found))

    @router.message(Command("stats"))
    async def stats(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        period = parse_period(command.args)
        if period is None:
            outbox.send(message.chat.id, texts("views.bad_period", periods=", ".join(PERIODS)))
            return
        result = await trader.views.stats(period)
        outbox.send(message.chat.id, render_stats(texts, result))

    @router.message(Command("chart"))
    async def chart(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        target = parse_chart(command.args)
        if target is None:
            outbox.send(message.chat.id, texts("views.chart.usage"))
            return
        data = await trader.views.chart(*target)
        from bot.texts.picture import render_png  # Pillow only when a picture is asked for

        png = await asyncio.to_thread(render_png, data, chart_labels(texts, data))
        name = f"chart-{data.task_kind}-{data.task_id}.png"
        outbox.send_photo(message.chat.id, png, chart_caption(texts, data), name)

    return router
