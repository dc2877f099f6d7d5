"""The dispatcher shared by `python -m bot run`, the console and the tests."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand

from bot.engine.interface import Trader
from bot.telegram.confirm import Confirmations
from bot.telegram.errors import on_error
from bot.telegram.middleware import OwnerOnly
from bot.telegram.outbox import Outbox
from bot.telegram.routers import (
    catalogue,
    confirm,
    core,
    fallback,
    health,
    scan,
    sellbuy,
    spreads,
    stop,
    stops,
    tape,
    tasks,
    views,
)
from bot.texts import Texts

log = logging.getLogger(__name__)

MENU = (
    "help",
    "health",
    "tasks",
    "stop",
    "sellbuy",
    "sell",
    "buy",
    "dump",
    "spreads",
    "sprices",
    "scan",
    "dscan",
    "whatif",
    "stops",
    "shorts",
    "nuke",
    "cancel",
    "stash",
    "restore",
    "update",
    "portfolio",
    "orders",
    "stats",
    "chart",
)


def menu(texts: Texts) -> list[BotCommand]:
    return [BotCommand(command=name, description=texts(f"menu.{name}")) for name in MENU]


def create_dispatcher(
    *,
    trader: Trader,
    texts: Texts,
    outbox: Outbox,
    owner_ids: Iterable[int],
    chat_ids: Iterable[int] = (),
    mode: str = "paper",
    confirmations: Confirmations | None = None,
) -> Dispatcher:
    dp = Dispatcher()
    dp["trader"] = trader
    dp["texts"] = texts
    dp["outbox"] = outbox
    dp["mode"] = mode
    dp["confirmations"] = confirmations or Confirmations()
    gate = OwnerOnly(owner_ids, chat_ids)
    dp["owner_gate"] = gate
    dp.message.outer_middleware(gate)
    dp.callback_query.outer_middleware(gate)
    dp.include_routers(
        core.make_router(),
        confirm.make_router(),
        health.make_router(),
        tasks.make_router(),
        stop.make_router(),
        catalogue.make_router(),
        sellbuy.make_router(),
        spreads.make_router(),
        scan.make_router(),
        tape.make_router(),
        stops.make_router(),
        views.make_router(),
        fallback.make_router(),  # last: takes what nothing else did
    )
    dp.errors.register(on_error)

    async def set_menu(bot: Bot) -> None:
        try:
            await bot.set_my_commands(menu(texts))
        except TelegramAPIError:  # a missing menu is no reason not to start
            log.exception("cannot set the command menu")

    dp.startup.register(set_menu)
    return dp
