"""The ``courtyard`` command line.

Operator commands of each feature area live in ``bot/cli_<area>.py`` and are added
in :func:`register_cli` — one visible place; an area that declares its commands in
its ``Feature`` record (``cli``) is added from ``handlers.features`` through
``bot.assembly``, only when a command is not found among these (importing the
areas takes seconds, which ``courtyard migrate`` need not wait for).

A command that cannot start prints one line, ``courtyard: …``, naming the setting
to set or check, and exits 2 (a setting is missing or wrong) or 3 (a service a
setting points at — Telegram, the database — could not be reached; trying again
later may work). See :mod:`bot.startup`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import click

from bot.settings import Settings, load_settings

SETTINGS_KEY = "courtyard.settings"


class CourtyardGroup(click.Group):
    """Turns a start-up failure (a setting, an unreachable dependency) into one clear
    line and exit code 2 or 3 (see :mod:`bot.startup`); anything else goes on.
    Areas' own commands (``Feature.cli``) are added the first time a command is
    not found, or the list is asked for."""

    features_added = False

    def _add_feature_commands(self) -> None:
        if not self.features_added:
            self.features_added = True
            from bot.assembly import register_cli

            register_cli(self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._add_feature_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_feature_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from bot.startup import explain

            failure = explain(exc, ctx.meta.get(SETTINGS_KEY))
            if failure is None:
                raise
            click.echo(f"courtyard: {failure.message}", err=True)
            sys.exit(failure.code)


@click.group(cls=CourtyardGroup)
@click.version_option(package_name="courtyard")
def main() -> None:
    """Courtyard — the chat service desk of residential communities."""


def read_settings() -> Settings:
    """The settings, kept for the error line (it masks their secrets); no logging yet."""
    settings = load_settings()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[SETTINGS_KEY] = settings
    return settings


def start_logging(settings: Settings) -> None:
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.log_format)


def get_settings() -> Settings:
    settings = read_settings()
    start_logging(settings)
    return settings


def run_async(factory: Callable[[], Any]) -> Any:
    try:
        return asyncio.run(factory())
    except KeyboardInterrupt:
        return None


@main.command()
@click.option("--webhook", is_flag=True, help="Serve Telegram's webhook instead of long polling.")
@click.option("--no-migrate", is_flag=True, help="Do not migrate the database first.")
@click.option(
    "--no-scheduler", is_flag=True, help="Run no periodic jobs (`courtyard scheduler` does)."
)
@click.option(
    "--no-gate-api", is_flag=True, help="Serve no gate terminal API (`courtyard gate-api` does)."
)
def run(webhook: bool, no_migrate: bool, no_scheduler: bool, no_gate_api: bool) -> None:
    """Run the bot (long polling by default), migrating the database first, with the
    periodic jobs and the gate terminal API unless told otherwise."""
    # Every check that needs no network comes before logging and migrating, so a
    # bad setting is exactly one line (and exit 2).
    settings = read_settings()
    settings.require_bot_token()
    if webhook:
        settings.require_webhook()
    from bot.services import check_face_startup

    check_face_startup(settings)
    start_logging(settings)
    from bot.app import Roles, run_polling, run_webhook

    roles = Roles(migrate=not no_migrate, scheduler=not no_scheduler, gate_api=not no_gate_api)
    runner = run_webhook if webhook else run_polling
    run_async(lambda: runner(settings, roles=roles))


@main.command()
@click.option("--no-migrate", is_flag=True, help="Do not migrate the database first.")
def scheduler(no_migrate: bool) -> None:
    """Run the periodic jobs alone (for `courtyard run --no-scheduler` deployments).
    On PostgreSQL, of several such processes one runs the jobs and the others stand by."""
    settings = read_settings()
    settings.require_bot_token()
    from bot.services import check_face_startup

    check_face_startup(settings)  # its jobs include the faces'
    start_logging(settings)
    from bot.app import run_scheduler

    run_async(lambda: run_scheduler(settings, migrate=not no_migrate))


@main.command("run-job")
@click.argument("name")
def run_job(name: str) -> None:
    """Run one periodic job once, now (e.g. fees.reminders after an outage), beside
    any scheduler: what the job sends is claimed first, so nothing goes out twice."""
    settings = read_settings()
    settings.require_bot_token()
    start_logging(settings)
    from bot.app import run_job_once

    if not run_async(lambda: run_job_once(settings, name)):
        click.echo(f"no job named {name}", err=True)
        raise SystemExit(2)


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = get_settings()
    from core.migrate import upgrade_database

    applied = upgrade_database(settings.database_url)
    if applied:
        click.echo("applied " + ", ".join(applied))
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
    from bot import cli_gate_agent

    cli_gate_agent.register(main)
    from bot import cli_faces

    cli_faces.register(main)


register_cli()
