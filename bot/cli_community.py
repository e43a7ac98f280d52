"""Operator commands for setting up communities (move-in area).

    courtyard community add NAME --timezone Asia/Shanghai --currency CNY
    courtyard community list
    courtyard import-units COMMUNITY FILE.csv
    courtyard add-staff COMMUNITY TELEGRAM_ID --role manager
    courtyard invites COMMUNITY [--out DIR] [--building B] [--only-vacant]
    courtyard revoke-invites COMMUNITY (--unit 3栋-1201 … | --all)

``COMMUNITY`` is the community's exact name or its id. Long commands show a
progress bar and end with a summary; a failed command changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from core.models import StaffRole

T = TypeVar("T")

ROW_ERROR_TEXT = {
    "not_utf8": "the file is not UTF-8 text (save it as “CSV UTF-8”)",
    "empty": "the file is empty",
    "bad_csv": "not valid CSV",
    "bad_header": "the first line must be exactly: building,unit,floor,area_m2",
    "wrong_columns": "expected 4 columns",
    "missing_building": "building is empty",
    "building_too_long": "building name is longer than 60 characters",
    "missing_unit": "unit is empty",
    "unit_too_long": "unit number is longer than 30 characters",
    "bad_floor": "floor must be a whole number between -10 and 300 (or empty)",
    "bad_area": "area_m2 must be a positive number with at most 2 decimals",
    "duplicate": "the same building and unit appear twice (first on line {detail})",
}
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


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"courtyard: {message}", err=True)
    sys.exit(code)


def _run(factory: Callable[[Any], Awaitable[T]]) -> T:
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


def _community_error(exc: Any) -> str:
    template = COMMUNITY_ERROR_TEXT.get(exc.code, exc.code)
    try:
        return template.format(**exc.details)
    except (KeyError, IndexError):
        return template


# --- community add / list ---------------------------------------------------------------


@click.group()
def community() -> None:
    """Create and list communities."""


@community.command("add")
@click.argument("name")
@click.option("--timezone", required=True, help="IANA time zone, e.g. Asia/Shanghai.")
@click.option("--currency", required=True, help="ISO 4217 currency code, e.g. CNY.")
@click.option(
    "--locale",
    type=click.Choice(["zh_Hans", "en"]),
    default="zh_Hans",
    show_default=True,
    help="Language of the admin group and printed invitations.",
)
@click.option("--address", default="", help="Street address, shown in documents.")
@click.option("--duty-phone", default="", help="Property office duty phone.")
@click.option(
    "--document-retention-days",
    type=int,
    default=None,
    help="Days after a decision before move-in documents are deleted (default 30).",
)
def community_add(
    name: str,
    timezone: str,
    currency: str,
    locale: str,
    address: str,
    duty_phone: str,
    document_retention_days: int | None,
) -> None:
    """Create the community NAME."""
    from core.communities import CommunityError, create_community

    async def work(session_factory: Any) -> tuple[int, str]:
        async with session_factory() as session:
            c = await create_community(
                session,
                name,
                timezone=timezone,
                currency=currency,
                locale=locale,
                address=address,
                duty_phone=duty_phone,
                document_retention_days=document_retention_days,
            )
            await session.commit()
            return c.id, c.name

    try:
        cid, cname = _run(work)
    except CommunityError as exc:
        _fail(_community_error(exc))
        return
    click.echo(f"community {cname!r} created with id {cid}")
    click.echo(
        "next: courtyard import-units, courtyard add-staff … --role manager, "
        "then send /setup in the staff group"
    )


@community.command("list")
def community_list() -> None:
    """List communities with their unit count and admin group."""
    from core.communities import count_units, list_communities

    async def work(session_factory: Any) -> list[tuple[Any, int]]:
        async with session_factory() as session:
            return [(c, await count_units(session, c.id)) for c in await list_communities(session)]

    rows = _run(work)
    if not rows:
        click.echo("no communities yet: courtyard community add NAME --timezone … --currency …")
        return
    for c, units in rows:
        group = c.admin_chat_id if c.admin_chat_id is not None else "not bound"
        click.echo(
            f"{c.id:>4}  {c.name}  ({c.timezone}, {c.currency}, {units} units, "
            f"admin group: {group})"
        )


# --- import-units ---------------------------------------------------------------------------


@click.command("import-units")
@click.argument("community_ref", metavar="COMMUNITY")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report, write nothing.")
def import_units_cmd(community_ref: str, file: Path, dry_run: bool) -> None:
    """Import buildings and units from FILE (header: building,unit,floor,area_m2).

    Every row is checked first; one bad row and nothing is imported. Importing
    the same file again changes nothing.
    """
    from core.communities import (
        CommunityError,
        UnitsCsvError,
        find_community,
        import_units,
        parse_units_csv,
    )

    try:
        rows = parse_units_csv(file.read_bytes())
    except UnitsCsvError as exc:
        click.echo(
            f"courtyard: {file} has {len(exc.errors)} problem(s); nothing was imported:", err=True
        )
        for err in exc.errors[:50]:
            text = ROW_ERROR_TEXT.get(err.code, err.code).format(detail=err.detail)
            shown = f" ({err.detail})" if err.detail and err.code not in ("duplicate",) else ""
            click.echo(f"  line {err.line}: {text}{shown}", err=True)
        if len(exc.errors) > 50:
            click.echo(f"  … and {len(exc.errors) - 50} more", err=True)
        sys.exit(1)
    click.echo(f"{file}: {len(rows)} units, all rows valid")

    async def work(session_factory: Any) -> Any:
        async with session_factory() as session:
            c = await find_community(session, community_ref)
            with tqdm(total=len(rows), unit="unit", desc="importing", disable=None) as bar:
                report = await import_units(session, c, rows, progress=bar.update)
            if dry_run:
                await session.rollback()
            else:
                await session.commit()
            return c.name, report

    try:
        name, report = _run(work)
    except CommunityError as exc:
        _fail(_community_error(exc))
        return
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(
        f"{prefix}{name}: {report.buildings_created} buildings created, "
        f"{report.units_created} units created, {report.units_updated} updated, "
        f"{report.units_unchanged} unchanged"
    )


# --- add-staff -------------------------------------------------------------------------------


@click.command("add-staff")
@click.argument("community_ref", metavar="COMMUNITY")
@click.argument("telegram_id", type=int)
@click.option(
    "--role",
    type=click.Choice([r.value for r in StaffRole]),
    required=True,
    help="manager, technician, guard or accountant.",
)
@click.option("--name", default="", help="Name to show until the person writes to the bot.")
def add_staff_cmd(community_ref: str, telegram_id: int, role: str, name: str) -> None:
    """Make TELEGRAM_ID staff of COMMUNITY (bootstrap the first manager this way)."""
    from core.communities import CommunityError, add_staff, find_community

    async def work(session_factory: Any) -> tuple[str, bool]:
        async with session_factory() as session:
            c = await find_community(session, community_ref)
            _, created = await add_staff(session, c, telegram_id, StaffRole(role), full_name=name)
            await session.commit()
            return c.name, created

    try:
        cname, created = _run(work)
    except CommunityError as exc:
        _fail(_community_error(exc))
        return
    what = "added as" if created else "now has the role"
    click.echo(f"{telegram_id} {what} {role} of {cname}")


# --- invitations ---------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=False))


def _qr_many(urls: list[str]) -> Iterator[str]:
    """QR codes in order; on several cores for big batches (≈8 ms each)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(urls) < 200 or workers < 2:
        yield from map(_qr_svg, urls)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_qr_svg, urls, chunksize=64)


def _safe_filename(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", name).strip("_") or "building"


async def _bot_username(explicit: str | None) -> str:
    if explicit:
        return explicit.lstrip("@")
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.cli import get_settings

    settings = get_settings()
    if settings.bot_token is None:
        _fail("pass --bot-username, or set COURTYARD_BOT_TOKEN so I can ask Telegram", 2)
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api.rstrip("/")))
    bot = Bot(settings.require_bot_token(), session=session)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username or ""


@click.command("invites")
@click.argument("community_ref", metavar="COMMUNITY")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for invitations.csv and the printable pages (default ./invites-<id>-<date>).",
)
@click.option("--building", "buildings", multiple=True, help="Only these buildings (repeatable).")
@click.option("--only-vacant", is_flag=True, help="Only units nobody lives in yet.")
@click.option("--valid-days", type=int, default=60, show_default=True)
@click.option(
    "--max-uses", type=int, default=6, show_default=True, help="Household members per code."
)
@click.option("--bot-username", default=None, help="The bot's @username for t.me links.")
def invites_cmd(
    community_ref: str,
    out_dir: Path | None,
    buildings: tuple[str, ...],
    only_vacant: bool,
    valid_days: int,
    max_uses: int,
    bot_username: str | None,
) -> None:
    """Issue one invitation per unit: a CSV and printable letterbox pages with QR codes.

    Earlier letterbox invitations of those units stop working. The files hold
    live codes: keep them like keys and delete them after printing.
    """
    from bot.cli import get_settings
    from core.clock import SystemClock
    from core.communities import CommunityError, find_community
    from core.formatting import fmt_short_datetime
    from core.invitations import (
        InvitationError,
        deep_link_payload,
        format_code,
        issue_unit_invitations,
    )

    settings = get_settings()
    username = asyncio.run(_bot_username(bot_username))

    async def work(session_factory: Any) -> tuple[Any, list[Any]]:
        async with session_factory() as session:
            c = await find_community(session, community_ref)
            with tqdm(unit="unit", desc="issuing", disable=None) as bar:
                issued = await issue_unit_invitations(
                    session,
                    c,
                    secret_key=settings.secret(),
                    clock=SystemClock(),
                    buildings=list(buildings) or None,
                    only_vacant=only_vacant,
                    valid_days=valid_days,
                    max_uses=max_uses,
                    progress=bar.update,
                )
            await session.commit()
            return c, issued

    try:
        community_obj, issued = _run(work)
    except CommunityError as exc:
        _fail(_community_error(exc))
        return
    except InvitationError as exc:
        _fail(
            {
                "bad_validity": "--valid-days must be 1–366",
                "bad_max_uses": "--max-uses must be 1–20",
            }.get(exc.code, exc.code)
        )
        return
    if not issued:
        click.echo("no units matched: nothing issued")
        return
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = out_dir or Path(f"invites-{community_obj.id}-{stamp}")
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    links = [f"https://t.me/{username}?start={deep_link_payload(i.code)}" for i in issued]
    tz = community_obj.timezone
    locale = community_obj.locale
    csv_path = out / "invitations.csv"
    fd = os.open(csv_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["building", "unit", "code", "link", "expires", "max_uses"])
        for inv, link in zip(issued, links, strict=True):
            writer.writerow(
                [
                    inv.building,
                    inv.unit,
                    format_code(inv.code),
                    link,
                    fmt_short_datetime(inv.expires_at, tz, locale),
                    max_uses,
                ]
            )
    cards: dict[str, list[dict[str, str]]] = {}
    with tqdm(total=len(issued), unit="QR", desc="printing", disable=None) as bar:
        for inv, link, svg in zip(issued, links, _qr_many(links), strict=True):
            cards.setdefault(inv.building, []).append(
                {
                    "building": inv.building,
                    "unit": inv.unit,
                    "code": format_code(inv.code),
                    "link": link,
                    "qr": svg,
                }
            )
            bar.update(1)
    expires = fmt_short_datetime(issued[0].expires_at, tz, locale)
    pages = []
    for building, items in cards.items():
        page = out / f"letterbox-{_safe_filename(building)}.html"
        html = render_letterbox(community_obj, building, items, expires, username)
        fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        pages.append(page)
    click.echo(
        f"{community_obj.name}: {len(issued)} invitations issued "
        f"(valid until {expires}, up to {max_uses} household members each)"
    )
    click.echo(f"  {csv_path}")
    click.echo(f"  {len(pages)} printable page(s): {out}/letterbox-*.html")
    click.echo("  these files contain live codes: print them, then delete them")


def render_letterbox(
    community: Any, building: str, cards: list[dict[str, str]], expires: str, username: str
) -> str:
    """The printable page of one building, in the community's language."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    from bot.i18n import create_i18n

    templates = Path(__file__).resolve().parent.parent / "templates" / "invites"
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(["html", "j2"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n = create_i18n(community.locale)
    translations = i18n.locales.get(community.locale)
    if translations is not None:
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    else:
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    for card in cards:
        card["qr"] = Markup(card["qr"])  # segno's own SVG  # noqa: S704
    return env.get_template("letterbox.html.j2").render(
        community=community,
        building=building,
        cards=cards,
        expires=expires,
        bot=username,
        lang="zh-Hans" if community.locale == "zh_Hans" else "en",
    )


@click.command("revoke-invites")
@click.argument("community_ref", metavar="COMMUNITY")
@click.option("--unit", "units", multiple=True, help="Unit as 3栋-1201 (repeatable).")
@click.option("--all", "all_units", is_flag=True, help="Every open invitation of the community.")
def revoke_invites_cmd(community_ref: str, units: tuple[str, ...], all_units: bool) -> None:
    """Revoke open invitations (letterbox and family) of some units or all."""
    from core.clock import SystemClock
    from core.communities import CommunityError, find_community
    from core.invitations import revoke_unit_invitations
    from core.units import find_unit_by_label

    if not units and not all_units:
        _fail("say which: --unit 3栋-1201 (repeatable) or --all", 2)

    async def work(session_factory: Any) -> tuple[str, int]:
        async with session_factory() as session:
            c = await find_community(session, community_ref)
            unit_ids: list[int] | None = None
            if not all_units:
                unit_ids = []
                for label in units:
                    unit = await find_unit_by_label(session, c.id, label)
                    if unit is None:
                        _fail(f"no unit {label!r} in {c.name}")
                        raise AssertionError
                    unit_ids.append(unit.id)
            count = await revoke_unit_invitations(
                session, c, clock=SystemClock(), unit_ids=unit_ids
            )
            await session.commit()
            return c.name, count

    try:
        name, count = _run(work)
    except CommunityError as exc:
        _fail(_community_error(exc))
        return
    click.echo(f"{name}: {count} invitation(s) revoked")


def register(main: click.Group) -> None:
    main.add_command(community)
    main.add_command(import_units_cmd)
    main.add_command(add_staff_cmd)
    main.add_command(invites_cmd)
    main.add_command(revoke_invites_cmd)
