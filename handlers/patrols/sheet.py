"""``/checkpoints`` in the admin group: the checkpoints and their printable QR sheet.

1. The list: number, name, place, and what a visit asks for (location, photo).
2. The PDF sheet, one QR per checkpoint, each a ``t.me/<bot>?start=…`` link.
``/checkpoints reissue`` (managers) makes new links first: every sheet printed
before stops working (a lost or copied sheet).
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from core.patrols.checkpoints import community_checkpoints, reissue_links
from core.patrols.models import Checkpoint, CheckpointKind
from core.patrols.sheet import SheetEntry, render_sheet
from core.patrols.tokens import checkpoint_payload
from handlers.kit import admin_router, group_command

router = admin_router("patrols.sheet")

group_command(
    "checkpoints", __("Patrol checkpoints and their QR sheet; /checkpoints reissue"), order=61
)


def _action(event: TelegramObject, data: dict[str, Any]) -> str:
    command: CommandObject | None = data.get("command")
    args = (command.args or "").strip().lower() if command else ""
    return "patrols.manage" if args == "reissue" else "patrols.sheet"


def asks(checkpoint: Checkpoint) -> str:
    if checkpoint.has_location and checkpoint.photo_required:
        return _("location and photo")
    if checkpoint.has_location:
        return _("location")
    if checkpoint.photo_required:
        return _("photo")
    return _("scan only")


@router.message(Command("checkpoints"), flags={"staff": _action})
async def checkpoints_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    arg = (command.args or "").strip().lower()
    if arg and arg != "reissue":
        await message.reply(
            _("Usage: /checkpoints — the list and the QR sheet; /checkpoints reissue — new links.")
        )
        return
    if arg == "reissue":
        rows = await reissue_links(session, community.id, identity.person_id)
    else:
        rows = await community_checkpoints(session, community.id)
    if not rows:
        await message.reply(_("No checkpoints yet. Add one with /checkpoint_add."))
        return
    lines = [_("<b>Checkpoints: {count}</b>").format(count=len(rows))]
    for row in rows:
        place = f" — {escape(row.place)}" if row.place else ""
        mark = "🧯 " if row.kind == CheckpointKind.FIRE_LANE else ""
        lines.append(f"{mark}#{row.id} <b>{escape(row.name)}</b>{place} · {escape(asks(row))}")
    if arg == "reissue":
        lines.append(_("New links made: sheets printed before no longer work."))
    await message.reply("\n".join(lines))
    entries = [
        SheetEntry(
            title=f"#{row.id} {row.name}",
            place=row.place,
            note=_("Scan with the phone camera · {asks}").format(asks=asks(row)),
            link=app.deep_link(checkpoint_payload(app.secret_key, row.id, row.salt)),
        )
        for row in rows
    ]
    heading = _("{community} · patrol checkpoints").format(community=community.name)
    footer = _("Scanning records a visit only for this community's staff.")
    pdf = await asyncio.to_thread(render_sheet, heading, footer, entries)
    if pdf is None:
        await message.reply(_("The PDF sheet could not be made (no font on the server)."))
        return
    await message.reply_document(
        BufferedInputFile(pdf, "checkpoints.pdf"),
        caption=_("Print and put each QR code at its checkpoint."),
    )
