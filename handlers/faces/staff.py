"""``/faces`` in the admin group: how many residents use face access.

1. Any staff member of the community (``faces.count``) gets the count of enrolled
   residents out of all residents — never whose templates, never a photo.
"""

from __future__ import annotations

import html

from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.store import enrollment_counts
from bot.context import AppContext
from core.models import Community
from handlers.kit import admin_router, reply

router = admin_router("faces.staff")


@router.message(Command("faces"), flags={"staff": "faces.count"})
async def staff_counts(
    message: Message, community: Community, session: AsyncSession, app: AppContext
) -> None:
    counts = await enrollment_counts(session, community.id, app.faces.model)
    await reply(
        message,
        _(
            "🙂 Face access in {community}: {enrolled} of {residents} residents enrolled.\n"
            "Templates are encrypted and stay in the database; staff never see them or any "
            "photo. Residents enroll and delete themselves in the bot."
        ).format(
            community=html.escape(community.name),
            enrolled=counts.enrolled,
            residents=counts.residents,
        )
        + (
            "\n"
            + _(
                "Look-alike pairs (face alone opens for neither; they use a code or the "
                "chat): {pairs}."
            ).format(pairs=counts.lookalike_pairs)
            if counts.lookalike_pairs
            else ""
        ),
    )
