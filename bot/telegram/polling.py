"""`python -m bot run`: the dispatcher on Telegram long polling (or TELEGRAM_API_URL)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from bot.config import BotConfig
from bot.heartbeat import HEARTBEAT_FILE, beat
from bot.texts import Texts

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

EXIT_START_FAILED = 1


def make_bot(config: BotConfig) -> Bot:
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

    from bot.telegram.session import LeanAiohttpSession

    config.check_telegram()
    assert config.telegram_bot_token is not None  # checked above
    session = (
        LeanAiohttpSession(api=TelegramAPIServer.from_base(config.telegram_api_url))
        if config.telegram_api_url
        else LeanAiohttpSession()
    )
    return Bot(config.telegram_bot_token.get_secret_value(), session=session)


async def run_polling(config: BotConfig, telegram_loaded: Awaitable[Any] | None = None) -> int:
    """Start the engine first — it resumes trading while the Telegram half is still being
    imported (`telegram_loaded`: aiogram takes seconds to import on a small machine, so
    `python -m bot run` imports it in a worker thread meanwhile) — then poll."""
    from bot.app import AppStartError, DeferredNotifier, build_app

    notifier = DeferredNotifier()
    try:
        app = await build_app(config, notifier)
    except AppStartError as exc:
        print(f"trademan: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    if telegram_loaded is not None:
        try:
            await telegram_loaded  # never import it on the loop: the jobs are running
        except BaseException:
            await app.close()
            raise
    return await serve(config, app, notifier)


async def serve(config: BotConfig, app: Any, notifier: Any) -> int:
    """The Telegram half: the bot, its outbox and dispatcher over a started engine."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.telegram.dispatcher import create_dispatcher
    from bot.telegram.notifier import TelegramNotifier
    from bot.telegram.outbox import Outbox

    bot = make_bot(config)
    texts = Texts(config.bot_language)
    outbox = Outbox(bot)
    await notifier.attach(TelegramNotifier(outbox, config.telegram_owner_ids, texts))
    dp = create_dispatcher(
        trader=app.trader,
        texts=texts,
        outbox=outbox,
        owner_ids=config.telegram_owner_ids,
        chat_ids=config.telegram_chat_ids,
        mode=config.trademan_mode,
    )
    heartbeat = asyncio.create_task(beat(config.bot_state_dir / HEARTBEAT_FILE), name="heartbeat")
    try:
        with contextlib.suppress(TelegramNetworkError):  # polling retries the network itself
            await bot.delete_webhook(drop_pending_updates=False)
        # SIGINT/SIGTERM end polling; the jobs are then stopped cleanly below.
        await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
    except TelegramUnauthorizedError:
        print("trademan: Telegram refused TELEGRAM_BOT_TOKEN (unauthorized)", file=sys.stderr)
        return EXIT_START_FAILED
    finally:
        heartbeat.cancel()
        log.info("stopping: every job is stopped cleanly")
        await app.close()
        await outbox.close(timeout=10)
        await bot.session.close()
    return 0
