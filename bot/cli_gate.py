"""Operator commands for gates and the gate terminal API.

    courtyard gate add COMMUNITY NAME [--kind pedestrian|vehicle]
                       [--driver simulated|mqtt|http] [--option key=value …]
    courtyard gate list [COMMUNITY]
    courtyard gate rotate-key COMMUNITY NAME
    courtyard gate settings COMMUNITY [--overstay-alert on|off] [--overstay-grace MINUTES]
    courtyard gate-api [--host H] [--port P]

``COMMUNITY`` is the community's exact name or its id. A gate's API key is
printed once, when the gate is added or its key rotated; only a keyed hash is
stored, so a lost key is replaced, never recovered.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

T = TypeVar("T")

DRIVER_HELP = {
    "simulated": "pulse_ms (no hardware; the door lives in memory)",
    "mqtt": "topic (required), host, port, pulse_ms, qos, username, password, timeout_s",
    "http": "url (required), pulse_ms, token, timeout_s",
}


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"courtyard: {message}", err=True)
    sys.exit(code)


def _run(factory: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``factory(settings, session_factory)`` on a migrated database."""
    from bot.cli import get_settings
    from core.db import create_engine, create_session_factory
    from core.migrate import upgrade_database_async

    settings = get_settings()

    async def main() -> T:
        await upgrade_database_async(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            return await factory(settings, create_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _community(session: Any, ref: str) -> Any:
    from sqlalchemy import select

    from core.models import Community

    ref = ref.strip()
    community = await session.scalar(select(Community).where(Community.name == ref))
    if community is None and ref.isdigit():
        community = await session.get(Community, int(ref))
    if community is None:
        _fail(f"no community with name or id {ref!r}")
    return community


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            _fail(f"--option takes key=value, got {pair!r}", 2)
        value = value.strip()
        # Numbers stay numbers in the stored settings (ports, pulse lengths).
        config[key] = int(value) if value.isdigit() else value
    return config


def register(main: click.Group) -> None:
    @main.group()
    def gate() -> None:
        """Gates: add, list, rotate keys, community gate settings."""

    @gate.command("add")
    @click.argument("community")
    @click.argument("name")
    @click.option(
        "--kind",
        type=click.Choice(["pedestrian", "vehicle"]),
        default="pedestrian",
        show_default=True,
    )
    @click.option(
        "--driver",
        type=click.Choice(["simulated", "mqtt", "http"]),
        default="simulated",
        show_default=True,
    )
    @click.option(
        "--option",
        "options",
        multiple=True,
        metavar="KEY=VALUE",
        help="Driver setting; repeat. " + "; ".join(f"{k}: {v}" for k, v in DRIVER_HELP.items()),
    )
    @click.option(
        "--direction",
        type=click.Choice(["both", "in", "out"]),
        default="both",
        show_default=True,
        help="Which way the gate's terminals admit people; the other way is refused.",
    )
    def gate_add(
        community: str, name: str, kind: str, driver: str, options: tuple[str, ...], direction: str
    ) -> None:
        """Add a gate and print its terminal API key (shown once)."""
        from access.doors import DoorConfigError
        from access.gates import GateError, create_gate
        from access.models import DoorDriverKind, GateDirection, GateKind

        config = _options(options)

        async def work(settings: Any, session_factory: Any) -> tuple[int, str, str]:
            async with session_factory() as session:
                found = await _community(session, community)
                try:
                    created = await create_gate(
                        session,
                        secret_key=settings.secret(),
                        community_id=found.id,
                        name=name,
                        kind=GateKind(kind),
                        driver=DoorDriverKind(driver),
                        driver_config=config,
                        direction=GateDirection(direction),
                    )
                except DoorConfigError as exc:
                    _fail(f"{driver} driver: {exc}", 2)
                except GateError as exc:
                    _fail(str(exc), 2)
                await session.commit()
                return created.gate.id, created.api_key, found.name

        gate_id, api_key, community_name = _run(work)
        click.echo(
            f"Gate {name!r} added to {community_name} "
            f"(id {gate_id}, {kind}, {driver}, direction {direction})."
        )
        click.echo(f"Terminal API key (shown once, store it in the terminal now): {api_key}")
        click.echo(
            f"The terminal calls POST /v1/gates/{gate_id}/verify with "
            f"'Authorization: Bearer <key>'."
        )

    @gate.command("list")
    @click.argument("community", required=False)
    def gate_list(community: str | None) -> None:
        """List gates (all communities, or one)."""
        from sqlalchemy import select

        from access.models import Gate
        from core.models import Community

        async def work(_settings: Any, session_factory: Any) -> list[tuple[Any, str]]:
            async with session_factory() as session:
                query = select(Gate, Community.name).join(
                    Community, Community.id == Gate.community_id
                )
                if community:
                    found = await _community(session, community)
                    query = query.where(Gate.community_id == found.id)
                rows = (await session.execute(query.order_by(Community.name, Gate.name))).all()
                return [(g, c) for g, c in rows]

        rows = _run(work)
        if not rows:
            click.echo("No gates. Add one with `courtyard gate add COMMUNITY NAME`.")
            return
        for g, community_name in rows:
            state = "active" if g.active else "disabled"
            settings = json.dumps(_redacted(g.driver_config), ensure_ascii=False)
            click.echo(
                f"{g.id:>5}  {community_name} / {g.name}  {g.kind.value}  "
                f"{g.driver.value} {settings}  {state}  direction {g.direction.value}"
            )

    @gate.command("seal-secrets")
    def gate_seal_secrets() -> None:
        """Seal door passwords and tokens that an older version stored in clear."""
        from access.gates import seal_stored_door_secrets

        async def work(settings: Any, session_factory: Any) -> list[int]:
            async with session_factory() as session:
                changed = await seal_stored_door_secrets(session, secret_key=settings.secret())
                await session.commit()
                return changed

        changed = _run(work)
        if changed:
            click.echo(f"Sealed the door secrets of {len(changed)} gate(s): {changed}.")
        else:
            click.echo("No door secret is stored in clear.")

    @gate.command("rotate-key")
    @click.argument("community")
    @click.argument("name")
    def gate_rotate(community: str, name: str) -> None:
        """Replace a gate's API key; the old key stops working within seconds."""
        from sqlalchemy import select

        from access.gates import rotate_gate_key
        from access.models import Gate

        async def work(settings: Any, session_factory: Any) -> tuple[int, str]:
            async with session_factory() as session:
                found = await _community(session, community)
                gate_id = await session.scalar(
                    select(Gate.id).where(Gate.community_id == found.id, Gate.name == name)
                )
                if gate_id is None:
                    _fail(f"{found.name} has no gate named {name!r}")
                key = await rotate_gate_key(session, secret_key=settings.secret(), gate_id=gate_id)
                await session.commit()
                return gate_id, key

        gate_id, key = _run(work)
        click.echo(f"New API key for gate {gate_id} (shown once): {key}")

    @gate.command("settings")
    @click.argument("community")
    @click.option(
        "--overstay-alert",
        type=click.Choice(["on", "off"]),
        help="Tell hosts when a visitor has not been recorded leaving.",
    )
    @click.option(
        "--overstay-grace",
        type=click.IntRange(0, 24 * 60),
        metavar="MINUTES",
        help="Minutes after a pass ends before the overstay alert.",
    )
    def gate_settings(
        community: str, overstay_alert: str | None, overstay_grace: int | None
    ) -> None:
        """Show or change a community's gate settings."""
        from access.passes import AccessSettings

        async def work(_settings: Any, session_factory: Any) -> Any:
            async with session_factory() as session:
                found = await _community(session, community)
                config = dict(found.config or {})
                access = dict(config.get("access") or {})
                if overstay_alert is not None:
                    access["overstay_alert"] = overstay_alert == "on"
                if overstay_grace is not None:
                    access["overstay_grace_min"] = overstay_grace
                config["access"] = access
                found.config = config
                await session.commit()
                return AccessSettings.of(found), found.name

        current, community_name = _run(work)
        click.echo(
            f"{community_name}: overstay alert {'on' if current.overstay_alert else 'off'}, "
            f"grace {current.overstay_grace_min} min"
        )

    @main.command("gate-api")
    @click.option("--host", help="Listen address (default: COURTYARD_GATE_API_HOST).")
    @click.option("--port", type=int, help="Port (default: COURTYARD_GATE_API_PORT).")
    def gate_api(host: str | None, port: int | None) -> None:
        """Run the gate terminal API alone (alerts go to Telegram when a bot token is set)."""
        from bot.cli import get_settings, run_async

        settings = get_settings()
        from bot.services import check_face_startup

        check_face_startup(settings)
        run_async(
            lambda: serve_gate_api(
                settings, host or settings.gate_api_host, port or settings.gate_api_port
            )
        )


def _redacted(config: dict[str, Any]) -> dict[str, Any]:
    from access.doors.sealing import redacted

    return redacted(config)


async def serve_gate_api(
    settings: Any, host: str, port: int, stop: asyncio.Event | None = None
) -> None:
    """The gate API on its own: migrated database, doors, and staff alerts via the bot
    when ``COURTYARD_BOT_TOKEN`` is set (log lines otherwise)."""
    import logging

    from access.api import serve
    from bot.app import _signal_event, create_bot
    from bot.assembly import attach_features
    from bot.context import AppContext
    from bot.i18n import create_i18n
    from bot.services import build_gate
    from core.clock import SystemClock
    from core.db import create_engine, create_session_factory
    from core.migrate import upgrade_database_async

    log = logging.getLogger("courtyard.gate_api")
    settings.secret()
    await upgrade_database_async(settings.database_url)
    engine = create_engine(settings.database_url)
    ctx = AppContext(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        i18n=create_i18n(settings.default_locale),
        clock=SystemClock(),
    )
    runtime = build_gate(ctx)
    if settings.bot_token is not None and settings.bot_token.get_secret_value().strip():
        ctx.bot = create_bot(settings, ctx, settings.require_bot_token())
        attach_features(ctx)  # the gate area's notifier: alerts go to Telegram
    else:
        log.warning("no bot token: gate alerts are only logged")
    ctx.faces.start()
    runner = await serve(runtime, host, port)
    from core.heap import freeze_startup_heap

    freeze_startup_heap()
    click.echo(f"gate API listening on http://{host}:{port}/v1/ (Ctrl+C to stop)", err=True)
    try:
        await (stop or _signal_event()).wait()
    finally:
        await runner.cleanup()
        await runtime.close()
        if ctx.bot is not None:
            await ctx.bot.session.close()
        await engine.dispose()
