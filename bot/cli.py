"""The ``courtyard`` command line.

Operator commands of each feature area live in ``bot/commands_cli/<area>.py``
and are added in :func:`register_cli` — one visible place.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import click

from bot.settings import Settings, SettingsError, load_settings


class CourtyardGroup(click.Group):
    """Turns a settings problem into one clear line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.echo(f"courtyard: {exc}", err=True)
            sys.exit(2)


@click.group(cls=CourtyardGroup)
@click.version_option(package_name="courtyard")
def main() -> None:
    """Courtyard — the chat service desk of residential communities."""


def get_settings() -> Settings:
    settings = load_settings()
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)
    return settings


def run_async(factory: Callable[[], Any]) -> Any:
    try:
        return asyncio.run(factory())
    except KeyboardInterrupt:
        return None


@main.command()
@click.option("--webhook", is_flag=True, help="Serve Telegram's webhook instead of long polling.")
def run(webhook: bool) -> None:
    """Run the bot (long polling by default), migrating the database first."""
    settings = get_settings()
    settings.require_bot_token()
    from handlers.faces_common import check_face_startup

    check_face_startup(settings)  # before migrating: a bad face setup is one line, exit 2
    from bot.app import run_polling, run_webhook

    run_async(lambda: run_webhook(settings) if webhook else run_polling(settings))


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = get_settings()
    from core.migrate import upgrade_database

    upgrade_database(settings.database_url)
    click.echo("database is up to date")


def register_cli() -> None:
    """Feature areas' operator commands."""
    from bot import cli_community

    cli_community.register(main)
    from bot import cli_fees

    cli_fees.register(main)
    from bot import cli_sandbox

    cli_sandbox.register(main)
    from bot import cli_gate

    cli_gate.register(main)
    from bot import cli_faces

    cli_faces.register(main)


register_cli()
