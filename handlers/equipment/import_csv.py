"""Importing the equipment ledger from a CSV file sent in the admin group.

Steps:
1. a manager sends the CSV (header ``name,kind,place,building,installed_on,
   vendor,responsible_role``) with ``/equipment_import`` as its caption (the
   command alone is answered with how to send it; a file that is not CSV, or
   larger than :data:`MAX_BYTES`, is refused before it is downloaded);
2. every line is checked first (:func:`core.equipment.ledger.parse_equipment_csv`):
   one bad line and nothing is imported, the answer names each bad line's number
   and what is wrong;
3. otherwise the items are created or updated in one transaction, matched by
   name — sending the same file again changes nothing — and the answer counts
   them, the same as ``courtyard import-equipment``.
"""

from __future__ import annotations

import io
from html import escape

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.equipment.ledger import (
    EquipmentCsvError,
    RowError,
    import_equipment,
    parse_equipment_csv,
)
from core.identity import Identity
from core.models import Community
from handlers.kit import admin_router, group_command

router = admin_router("equipment.import")

group_command(
    "equipment_import", __("Import equipment: send the CSV with this command as caption"), order=73
)

MAX_BYTES = 1_000_000
MAX_LISTED = 20


def _usage() -> str:
    return _(
        "Send the ledger as a CSV file with /equipment_import as its caption.\n"
        "Header: name,kind,place,building,installed_on,vendor,responsible_role"
    )


def _row_error(error: RowError) -> str:
    texts = {
        "not_utf8": _("the file is not UTF-8 text"),
        "bad_header": _(
            "the header must be: name,kind,place,building,installed_on,vendor,responsible_role"
        ),
        "bad_csv": _("not valid CSV"),
        "wrong_columns": _("7 columns expected"),
        "missing_name": _("the name is missing"),
        "missing_kind": _("the kind is missing"),
        "too_long": _("a value is too long"),
        "bad_date": _("installed_on is not a date (YYYY-MM-DD)"),
        "bad_role": _("responsible_role must be manager, technician, guard or accountant"),
        "duplicate": _("the same name is already on line {line}").format(line=error.detail),
    }
    text = texts.get(error.code, error.code)
    return _("Line {line}: {problem}").format(line=error.line, problem=escape(text))


@router.message(Command("equipment_import"), F.document, flags={"staff": "equipment.manage"})
async def equipment_import(
    message: Message,
    bot: Bot,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    document = message.document
    assert document is not None
    name = (document.file_name or "").lower()
    if not (name.endswith(".csv") or document.mime_type in {"text/csv", "text/plain"}):
        await message.reply(_("That is not a CSV file.") + "\n" + _usage())
        return
    if document.file_size is not None and document.file_size > MAX_BYTES:
        await message.reply(_("The file is larger than 1 MB: split it into several files."))
        return
    buffer = io.BytesIO()
    await bot.download(document.file_id, destination=buffer)
    try:
        rows = parse_equipment_csv(buffer.getvalue()[: MAX_BYTES + 1])
    except EquipmentCsvError as exc:
        lines = [
            _("{count} problem(s) in the file; nothing was imported:").format(count=len(exc.errors))
        ]
        lines.extend(_row_error(error) for error in exc.errors[:MAX_LISTED])
        if len(exc.errors) > MAX_LISTED:
            lines.append(
                _("… and {count} more problems").format(count=len(exc.errors) - MAX_LISTED)
            )
        await message.reply("\n".join(lines))
        return
    report = await import_equipment(session, community, rows, identity.person_id)
    await message.reply(
        _(
            "✅ Equipment imported: {created} created, {updated} updated, {unchanged} unchanged."
        ).format(created=report.created, updated=report.updated, unchanged=report.unchanged)
    )


@router.message(Command("equipment_import"), flags={"staff": "equipment.manage"})
async def equipment_import_usage(message: Message) -> None:
    await message.reply(_usage())
