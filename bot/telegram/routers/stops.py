"""/stops, /shorts, /nuke, /cancel, /stash, /restore: plan first, confirm where needed, run."""

from __future__ import annotations

from typing import Literal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands.parsing import ParseError
from bot.commands.stops import parse_nuke
from bot.engine.interface import Trader
from bot.engine.stops.plan import StopPlan
from bot.telegram.confirm import Confirmations, ask
from bot.telegram.outbox import Outbox
from bot.texts import Texts
from bot.texts.render import render_parse_error
from bot.texts.stops_render import (
    render_cancel_plan,
    render_plan,
    render_started,
    render_stash,
)


async def _offer(
    chat_id: int,
    plan: StopPlan,
    trader: Trader,
    texts: Texts,
    outbox: Outbox,
    confirmations: Confirmations,
) -> None:
    """Show the plan; run it at once, or after a timely Confirm when it needs one."""
    shown = render_plan(texts, plan)

    async def run() -> None:
        info = trader.stops.run(plan)
        outbox.send(chat_id, render_started(texts, info.job_id, plan.kind, info.amount))

    if not plan.orders:
        outbox.send(chat_id, shown + "\n" + texts("stops.nothing_to_place"))
        return
    if plan.needs_confirmation:
        ask(outbox, confirmations, texts, chat_id, shown, run)
        return
    outbox.send(chat_id, shown)
    await run()


def make_router() -> Router:
    router = Router(name="stops")

    @router.message(Command("stops", "shorts"))
    async def bulk(
        message: Message,
        command: CommandObject,
        trader: Trader,
        texts: Texts,
        outbox: Outbox,
        confirmations: Confirmations,
    ) -> None:
        kind: Literal["stops", "shorts"] = (
            "shorts" if command.command.lower() == "shorts" else "stops"
        )
        outbox.send(message.chat.id, texts("stops.planning", kind=kind))
        plan = await trader.stops.plan_bulk(kind)
        await _offer(message.chat.id, plan, trader, texts, outbox, confirmations)

    @router.message(Command("nuke"))
    async def nuke(
        message: Message,
        command: CommandObject,
        trader: Trader,
        texts: Texts,
        outbox: Outbox,
        confirmations: Confirmations,
    ) -> None:
        args = parse_nuke(command.args)
        if isinstance(args, ParseError):
            outbox.send(message.chat.id, render_parse_error(texts, args))
            return
        plan = await trader.stops.plan_nuke(args.ticker, args.money)
        await _offer(message.chat.id, plan, trader, texts, outbox, confirmations)

    @router.message(Command("restore"))
    async def restore(
        message: Message,
        trader: Trader,
        texts: Texts,
        outbox: Outbox,
        confirmations: Confirmations,
    ) -> None:
        outbox.send(message.chat.id, texts("stops.planning", kind="restore"))
        plan = await trader.stops.plan_restore()
        await _offer(message.chat.id, plan, trader, texts, outbox, confirmations)

    @router.message(Command("cancel"))
    async def cancel(
        message: Message,
        trader: Trader,
        texts: Texts,
        outbox: Outbox,
        confirmations: Confirmations,
    ) -> None:
        chat_id = message.chat.id
        plan = await trader.stops.plan_cancel()

        async def run() -> None:
            info = await trader.stops.run_cancel()
            outbox.send(chat_id, render_started(texts, info.job_id, "cancel", info.amount))

        ask(outbox, confirmations, texts, chat_id, render_cancel_plan(texts, plan), run)

    @router.message(Command("stash"))
    async def stash(message: Message, trader: Trader, texts: Texts, outbox: Outbox) -> None:
        outbox.send(message.chat.id, render_stash(texts, await trader.stops.stash()))

    return router
