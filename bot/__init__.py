"""The Trademan bot: Telegram front end, execution engine, broker and Base clients."""

from bot.aiogram_import import install as _defer_aiogram_model_builds

_defer_aiogram_model_builds()
