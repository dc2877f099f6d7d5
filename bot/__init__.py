"""The Trademan bot: Telegram front end, execution engine, broker and Base clients."""

from bot.aiogram_import import install as _defer_aiogram_model_builds
from bot.httpx_tuning import tune as _tune_httpx

_tune_httpx()
_defer_aiogram_model_builds()
