"""Setting a community up: ``community add/list``, ``import-units``, ``add-staff``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from bot.cli_community.common import community_error, fail, run
from core.models import StaffRole

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
@click.option(
    "--owner-invitations-reviewed",
    is_flag=True,
    help="An owner invited by letter applies with their ownership document and the "
    "office confirms with one tap (tenants and family still join at once).",
)
def community_add(
    name: str,
    timezone: str,
    currency: str,
    locale: str,
    address: str,
    duty_phone: str,
    document_retention_days: int | None,
    owner_invitations_reviewed: bool,
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
                owner_invitations_reviewed=owner_invitations_reviewed,
            )
            await session.commit()
            return c.id, c.name

    try:
        cid, cname = run(work)
    except CommunityError as exc:
        fail(community_error(exc))
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

    rows = run(work)
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
        name, report = run(work)
    except CommunityError as exc:
        fail(community_error(exc))
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
        cname, created = run(work)
    except CommunityError as exc:
        fail(community_error(exc))
        return
    what = "added as" if created else "now has the role"
    click.echo(f"{telegram_id} {what} {role} of {cname}")
