"""`python -m bot whatif N TARGET [DAYS]`: /whatif from the command line.

Reads spread N and the trading settings from the Base (BASE_URL, BASE_TOKEN), replays the last
DAYS recorded days of BOT_STATE_DIR/tape in a worker process, as /whatif does
(bot/engine/tape/worker.py), and prints the answer in BOT_LANGUAGE. Needs no broker and no
Telegram.
"""

from __future__ import annotations

from bot.base_client import BaseClient
from bot.commands.parsing import ParseError
from bot.commands.tape import parse_whatif
from bot.config import BotConfig
from bot.engine.interface import UserError
from bot.engine.tape.service import TapeService
from bot.texts import Texts
from bot.texts.render import render_parse_error
from bot.texts.render_tape import render_whatif

EXIT_REFUSED = 1
EXIT_USAGE = 2


async def run_whatif_cli(config: BotConfig, args: list[str]) -> int:
    texts = Texts(config.bot_language)
    request = parse_whatif(" ".join(args))
    if isinstance(request, ParseError):
        print(render_parse_error(texts, request))
        return EXIT_USAGE
    token = config.base_token.get_secret_value() if config.base_token else ""
    async with BaseClient(config.base_url, token) as base:
        service = TapeService(None, base, config.bot_state_dir, config.tape_options())
        try:
            result = await service.whatif(request.spread_id, request.target, request.days)
        except UserError as exc:
            print(texts(exc.key, **exc.params))
            return EXIT_REFUSED
    print(render_whatif(texts, result))
    return 0
