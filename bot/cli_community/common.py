"""What every community command shares: a migrated database, and errors in plain words."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

T = TypeVar("T")

COMMUNITY_ERROR_TEXT = {
    "bad_name": "the name must be 1–120 characters",
    "bad_timezone": "unknown time zone {timezone!r} (use e.g. Asia/Shanghai)",
    "bad_currency": "unknown currency {currency!r} (use an ISO 4217 code such as CNY)",
    "bad_locale": "locale must be zh_Hans or en",
    "bad_retention": "document retention must be 1–3650 days",
    "exists": "a community named {name!r} already exists",
    "not_found": "no community with name or id {ref!r} (see `courtyard community list`)",
    "bad_telegram_id": "TELEGRAM_ID must be a positive number (the user's Telegram id)",
    "last_manager": "that would leave the community without a manager",
}


def fail(message: str, code: int = 1) -> None:
    click.echo(f"courtyard: {message}", err=True)
    sys.exit(code)


def run(factory: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``factory(session_factory)`` on a migrated database."""
    from bot.cli import get_settings
    from core.db import create_engine, create_session_factory
    from core.migrate import upgrade_database_async

    settings = get_settings()

    async def main() -> T:
        await upgrade_database_async(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            return await factory(create_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def community_error(exc: Any) -> str:
    template = COMMUNITY_ERROR_TEXT.get(exc.code, exc.code)
    try:
        return template.format(**exc.details)
    except (KeyError, IndexError):
        return template
