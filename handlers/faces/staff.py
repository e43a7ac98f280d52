"""``/faces`` in the admin group: how many residents use face access.

1. Any staff member of the community (``faces.count``) gets the count of enrolled
   residents out of all residents — never whose templates, never a photo — the count
   of look-alike pairs, and each gate's liveness mode, with the risk where it is off.
"""

from __future__ import annotations

import html

from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.liveness import LivenessMode
from access.faces.store import enrollment_counts
from access.faces.store.liveness import community_gate_policies
from bot.context import AppContext
from core.models import Community
from handlers.kit import admin_router, reply

router = admin_router("faces.staff")


@router.message(Command("faces"), flags={"staff": "faces.count"})
async def staff_counts(
    message: Message, community: Community, session: AsyncSession, app: AppContext
) -> None:
    counts = await enrollment_counts(session, community.id, app.faces.model)
    text = _(
        "🙂 Face access in {community}: {enrolled} of {residents} residents enrolled.\n"
        "Templates are encrypted and stay in the database; staff never see them or any "
        "photo. Residents enroll and delete themselves in the bot."
    ).format(
        community=html.escape(community.name),
        enrolled=counts.enrolled,
        residents=counts.residents,
    )
    if counts.lookalike_pairs:
        text += "\n" + _(
            "Look-alike pairs (face alone opens for neither; they use a code or the chat): {pairs}."
        ).format(pairs=counts.lookalike_pairs)
    await reply(message, text + await _gates_text(session, community.id))


def mode_label(mode: LivenessMode) -> str:
    """A gate's live-person check, for staff; the risk spelled out when it is off."""
    if mode == LivenessMode.CHALLENGE:
        return _("blink / turn test")
    if mode == LivenessMode.TERMINAL:
        return _("the terminal's own liveness camera")
    return "⚠️ " + _("off — a printed photo or a phone screen showing a resident opens this gate")


async def _gates_text(session: AsyncSession, community_id: int) -> str:
    lines = [
        f"• {html.escape(name)}: {mode_label(policy.mode)}"
        for _id, name, policy in await community_gate_policies(session, community_id)
    ]
    if not lines:
        return ""
    return "\n\n" + _("Live-person check at the gates:") + "\n" + "\n".join(lines)
