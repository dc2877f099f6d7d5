"""/whatif N TARGET [DAYS]: a spread's target replayed over recorded days."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands.parsing import ParseError
from bot.commands.tape import parse_whatif
from bot.engine.interface import Trader
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.format import format_money
from bot.texts.render import render_parse_error
from bot.texts.render_tape import render_whatif


def make_router() -> Router:
    router = Router(name="tape")

    @router.message(Command("whatif"))
    async def whatif(
        message: Message, command: CommandObject, trader: Trader, texts: Texts, outbox: Outbox
    ) -> None:
        request = parse_whatif(command.args)
        if isinstance(request, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, request))
            return
        outbox.send(
            message.chat.id,
            texts(
                "tape.whatif_started",
                id=request.spread_id,
                target=format_money(request.target, texts.language),
                days=request.days,
            ),
        )
        result = await trader.whatif(request.spread_id, request.target, request.days)
        outbox.send(message.chat.id, render_whatif(texts, result))

    return router
