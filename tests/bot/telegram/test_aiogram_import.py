"""Guard for bot/aiogram_import.py, which defers the build of aiogram's Telegram models to their
first use (memory and start-up on a Raspberry Pi). It leans on how aiogram.types is written, so
these tests fail loudly when an aiogram upgrade changes that; then read the new
aiogram/types/__init__.py, adjust bot/aiogram_import.py and SUPPORTED_AIOGRAM."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import bot.aiogram_import

ROOT = Path(__file__).resolve().parents[3]

# Runs in a fresh interpreter: `import bot` first, as `python -m bot` does.
PROBE = textwrap.dedent(
    """
    import asyncio, json
    import bot
    from bot.aiogram_import import state
    import aiogram.types as types
    from pydantic import BaseModel

    models = [m for m in vars(types).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    built_at_import = sum(1 for m in models if m.__pydantic_complete__)
    deferred_namespace = state["namespace"] is not None

    async def converse():
        from tests.support.fake_telegram import make_harness
        harness = await make_harness("en")
        await harness.send("/help")
        replies = harness.replies()
        await harness.outbox.close(timeout=5)
        return replies

    replies = asyncio.run(converse())
    update = types.Update.model_validate({
        "update_id": 7,
        "message": {"message_id": 1, "date": 0, "text": "/start",
                    "chat": {"id": 5, "type": "private"},
                    "from": {"id": 5, "is_bot": False, "first_name": "O"},
                    "reply_to_message": {"message_id": 0, "date": 0, "text": "hi",
                                         "chat": {"id": 5, "type": "private"}}},
    })
    markup = types.InlineKeyboardMarkup(
        inline_keyboard=[[types.InlineKeyboardButton(text="Stop", callback_data="stop:1")]])
    import sys
    print(json.dumps({
        "httpx_cli_loaded": sys.modules.get("httpx._main") is not None,
        "sniffio_search_cached": "sniffio" in sys.modules,
        "models": len(models),
        "built_at_import": built_at_import,
        "deferred_namespace": deferred_namespace,
        "help_replied": any("/sell TICKER SUM" in r for r in replies),
        "nested": update.message.reply_to_message.text,
        "user": update.message.from_user.first_name,
        "markup": json.loads(markup.model_dump_json(exclude_none=True)),
    }))
    """
)


def probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_aiogram_is_the_version_the_deferred_import_was_written_for() -> None:
    assert version("aiogram") == bot.aiogram_import.SUPPORTED_AIOGRAM, (
        "aiogram was upgraded: bot/aiogram_import.py patches how aiogram.types builds its models "
        "at import. Check aiogram/types/__init__.py, run this file, then update SUPPORTED_AIOGRAM "
        "and the pin in pyproject.toml."
    )


def test_the_models_are_not_built_at_import_and_still_work_when_used() -> None:
    result = probe()
    assert result["deferred_namespace"], "aiogram.types no longer hands a namespace to rebuild"
    assert isinstance(result["models"], int) and result["models"] > 400
    # almost nothing is built at import (it was every model)
    assert isinstance(result["built_at_import"], int) and result["built_at_import"] < 20, result
    # the bot's handlers run through the fake Telegram session (methods serialised, answers
    # validated), and deferred models validate nested forward references and serialise
    assert result["help_replied"] is True
    # bot/httpx_tuning.py: httpx without its CLI, httpcore's per-request `import sniffio`
    # answered from sys.modules
    assert result["httpx_cli_loaded"] is False
    assert result["sniffio_search_cached"] is True
    assert result["nested"] == "hi"
    assert result["user"] == "O"
    assert result["markup"] == {"inline_keyboard": [[{"text": "Stop", "callback_data": "stop:1"}]]}
