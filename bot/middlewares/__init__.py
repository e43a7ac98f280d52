"""Middlewares, each injecting one thing a handler needs."""

from bot.middlewares.db import DbSessionMiddleware, current_session
from bot.middlewares.identity import IdentityMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.logging import LogContextMiddleware

__all__ = [
    "DbSessionMiddleware",
    "IdentityMiddleware",
    "LocaleMiddleware",
    "LogContextMiddleware",
    "current_session",
]
