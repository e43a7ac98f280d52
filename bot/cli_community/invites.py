"""Letterbox invitations: `invites` (a CSV and printable QR pages) and `revoke-invites`."""

from __future__ import annotations

import asyncio
import csv
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from bot.cli_community.common import community_error, fail, run


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
        fail("pass --bot-username, or set COURTYARD_BOT_TOKEN so I can ask Telegram", 2)
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
        community_obj, issued = run(work)
    except CommunityError as exc:
        fail(community_error(exc))
        return
    except InvitationError as exc:
        fail(
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

    templates = Path(__file__).resolve().parents[2] / "templates" / "invites"
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
        fail("say which: --unit 3栋-1201 (repeatable) or --all", 2)

    async def work(session_factory: Any) -> tuple[str, int]:
        async with session_factory() as session:
            c = await find_community(session, community_ref)
            unit_ids: list[int] | None = None
            if not all_units:
                unit_ids = []
                for label in units:
                    unit = await find_unit_by_label(session, c.id, label)
                    if unit is None:
                        fail(f"no unit {label!r} in {c.name}")
                        raise AssertionError
                    unit_ids.append(unit.id)
            count = await revoke_unit_invitations(
                session, c, clock=SystemClock(), unit_ids=unit_ids
            )
            await session.commit()
            return c.name, count

    try:
        name, count = run(work)
    except CommunityError as exc:
        fail(community_error(exc))
        return
    click.echo(f"{name}: {count} invitation(s) revoked")
