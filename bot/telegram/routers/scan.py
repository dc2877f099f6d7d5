"""/scan [RATE] and /dscan [N]: the market scanners."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands.parsing import ParseError
from bot.commands.scan_args import parse_dscan_top, parse_scan_rate
from bot.engine.interface import Trader
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_parse_error
from bot.texts.scan_render import Rendered, render_dividends, render_scan


def _send(outbox: Outbox, chat_id: int, rendered: Rendered) -> None:
    outbox.send(chat_id, rendered.summary)
    for table in rendered.tables:
        outbox.send(chat_id, table, parse_mode="HTML")
    if rendered.legend:
        outbox.send(chat_id, rendered.legend)
    outbox.send_file(chat_id, rendered.csv_name, rendered.csv_text, rendered.csv_caption)


def make_router() -> Router:
    router = Router(name="scan")

    @router.message(Command("scan"))
    async def scan(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        rate = parse_scan_rate(command.args)
        if isinstance(rate, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, rate))
            return
        outbox.send(message.chat.id, texts("scan.started"))
        _send(outbox, message.chat.id, render_scan(texts, await trader.scan(rate)))

    @router.message(Command("dscan"))
    async def dscan(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        top = parse_dscan_top(command.args)
        if isinstance(top, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, top))
            return
        outbox.send(message.chat.id, texts("scan.dividends_started"))
        _send(outbox, message.chat.id, render_dividends(texts, await trader.dividend_scan(top)))

    return router
