"""``courtyard import-equipment COMMUNITY FILE.csv [--dry-run]``: the ledger from a CSV.

Header: ``name,kind,place,building,installed_on,vendor,responsible_role``. Every
line is checked first; one bad line and nothing is imported, with every problem
named by its line number. Importing the same file again changes nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot.cli_community.common import community_error, fail, run
from core.communities import CommunityError, find_community
from core.equipment.ledger import EquipmentCsvError, import_equipment, parse_equipment_csv

ROW_ERROR_TEXT = {
    "not_utf8": "the file is not UTF-8 text",
    "bad_header": "the header must be: name,kind,place,building,installed_on,vendor,"
    "responsible_role",
    "bad_csv": "not valid CSV",
    "wrong_columns": "7 columns expected",
    "missing_name": "the name is missing",
    "missing_kind": "the kind is missing",
    "too_long": "a value is too long",
    "bad_date": "installed_on is not a date (YYYY-MM-DD)",
    "bad_role": "responsible_role must be manager, technician, guard or accountant",
    "duplicate": "the same name is already on line",
}


def register(group: click.Group) -> None:
    group.add_command(import_equipment_cmd)


@click.command("import-equipment")
@click.argument("community_ref", metavar="COMMUNITY")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report, write nothing.")
def import_equipment_cmd(community_ref: str, file: Path, dry_run: bool) -> None:
    """Import the equipment ledger from FILE (a CSV, see the header above)."""
    try:
        rows = parse_equipment_csv(file.read_bytes())
    except EquipmentCsvError as exc:
        click.echo(
            f"courtyard: {file} has {len(exc.errors)} problem(s); nothing was imported:", err=True
        )
        for err in exc.errors[:50]:
            detail = f" ({err.detail})" if err.detail else ""
            click.echo(
                f"  line {err.line}: {ROW_ERROR_TEXT.get(err.code, err.code)}{detail}", err=True
            )
        sys.exit(1)

    async def work(session_factory: Any) -> Any:
        # A dry run's session is closed unwritten; otherwise it commits on the way out.
        opened = session_factory() if dry_run else session_factory.begin()
        async with opened as session:
            community = await find_community(session, community_ref)
            name = community.name
            return name, await import_equipment(session, community, rows)

    try:
        name, report = run(work)
    except CommunityError as exc:
        fail(community_error(exc))
        return
    prefix = "dry run, nothing written: " if dry_run else ""
    click.echo(
        f"{prefix}{name}: {report.created} items created, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
