"""`python -m bot run` (Telegram long polling), `python -m bot console [--exit-on-eof]` or
`python -m bot whatif N TARGET [DAYS]` (a spread's target over the recorded days)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import BotConfig, ConfigError, load_config

EXIT_CONFIG = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trademan bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot against Telegram (long polling)")
    console = commands.add_parser(
        "console", help="the same bot in the terminal: commands on stdin, replies on stdout"
    )
    console.add_argument(
        "--exit-on-eof",
        action="store_true",
        help="stop the jobs and exit at end of input (default: wait until every job finished)",
    )
    whatif = commands.add_parser(
        "whatif",
        help="spread N with TARGET over the last DAYS recorded days (like /whatif); needs the "
        "Base, not the broker",
    )
    whatif.add_argument("args", nargs="*", metavar="N TARGET [DAYS]")
    return parser.parse_args(argv)


def setup_logging(config: BotConfig, *, console: bool) -> None:
    logging.basicConfig(
        level=config.log_level if config.log_level in logging.getLevelNamesMapping() else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if console:  # the terminal is for the conversation; keep library chatter out of it
        logging.getLogger("aiogram").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)


async def run_bot(config: BotConfig) -> int:
    """`run`: aiogram (seconds to import on a small machine) loads in a worker thread while the
    engine starts and resumes trading; polling begins once both are ready."""
    import importlib

    loading = asyncio.ensure_future(
        asyncio.to_thread(importlib.import_module, "bot.telegram.dispatcher")
    )
    from bot.telegram.polling import run_polling

    try:
        return await run_polling(config, loading)
    finally:
        if not loading.done():
            loading.cancel()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config()
        if args.command == "whatif":
            setup_logging(config, console=True)
            from bot.whatif_cli import run_whatif_cli

            return asyncio.run(run_whatif_cli(config, args.args))
        config.check_broker()
        if args.command == "run":
            config.check_telegram()
    except ConfigError as exc:
        print(f"trademan: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(config, console=args.command == "console")
    logging.getLogger("bot").info("starting %s: %s", args.command, config.describe())
    try:
        if args.command == "run":
            return asyncio.run(run_bot(config))
        from bot.console import run_console

        return asyncio.run(run_console(config, exit_on_eof=args.exit_on_eof))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
