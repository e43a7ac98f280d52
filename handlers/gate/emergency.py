"""Emergency mode for a whole community, from the admin group (``access.emergency_open``,
``access.emergency_end``: managers).

1. ``/emergency open``: every gate of the community opens and is held open
   (evacuation); the group is told who switched it on, or that it already was on
   (the open command is sent to every gate again).
2. ``/emergency end``: every gate returns to normal.
Doors that did not respond are named so someone can be sent; every switch is audited.
``/emergency`` alone (or with another word) explains the two commands.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from magic_filter import MagicFilter
from sqlalchemy.ext.asyncio import AsyncSession

from access.service import EmergencyResult
from bot.context import AppContext
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.models import Community
from handlers.gate.audit import audit
from handlers.kit import admin_router, group_command

router = admin_router("gate.emergency")

group_command("emergency", __("Emergency: /emergency open | end"), order=42)


def _asks(word: str) -> MagicFilter:
    """``/emergency WORD`` (any case, any spacing)."""
    return F.args.func(lambda args: (args or "").strip().lower() == word)


def _door_report(result: EmergencyResult) -> str:
    failed = [r for r in result.doors if not r.ok]
    if not failed:
        return ""
    names = ", ".join(escape(r.gate.name) for r in failed)
    return "\n" + _("⚠️ These doors did not respond — send someone: {gates}").format(gates=names)


@router.message(Command("emergency", magic=_asks("open")), flags={"staff": "access.emergency_open"})
async def emergency_open(
    message: Message,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    result = await app.gate.emergency_open(community.id, identity.person_id)
    await _audit(session, "access.emergency_open", community, identity, result)
    if result.started:
        text = _(
            "🚨 EMERGENCY MODE — every gate of {community} is open and held open "
            "(by {name}). Send /emergency end to restore normal operation."
        ).format(community=escape(community.name), name=escape(identity.full_name))
    else:
        since = fmt_short_datetime(result.since, community.timezone, locale) if result.since else ""
        text = _(
            "🚨 Emergency mode is already on (since {since}); I sent the open command to "
            "every gate again."
        ).format(since=since)
    await message.answer(text + _door_report(result))


@router.message(Command("emergency", magic=_asks("end")), flags={"staff": "access.emergency_end"})
async def emergency_end(
    message: Message,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    result = await app.gate.emergency_end(community.id, identity.person_id)
    await _audit(session, "access.emergency_end", community, identity, result)
    if result.started:
        text = _("✅ Emergency mode ended by {name}; gates are back to normal.").format(
            name=escape(identity.full_name)
        )
    else:
        text = _("Emergency mode was not on; I told every gate to return to normal anyway.")
    await message.answer(text + _door_report(result))


@router.message(Command("emergency"))
async def emergency_usage(message: Message) -> None:
    """Anyone in the group may ask how it works; switching it is for managers."""
    await message.reply(
        _(
            "/emergency open — open and hold every gate (evacuation)\n"
            "/emergency end — back to normal"
        )
    )


async def _audit(
    session: AsyncSession,
    action: str,
    community: Community,
    identity: Identity,
    result: EmergencyResult,
) -> None:
    await audit(
        session,
        action,
        community,
        identity,
        target=("community", community.id),
        details={
            "changed": result.started,
            "failed": [r.gate.id for r in result.doors if not r.ok],
        },
    )
