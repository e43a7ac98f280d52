"""Extending an outage (admin group, managers: ``notices.send``).

Steps: ``/extend <notice number> <new end>`` (e.g. ``/extend 3 2026-12-04 20:00``,
community time) → the residents the outage notice reached get "Outage extended"
with the new window (its own reminder and end word follow; the first notice's end
word is not sent) → the group is told how many; a notice that is not a current
outage, or an end not later than before, is refused and says why. ``/extend`` alone
explains itself.
"""

from __future__ import annotations

import re

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.community.notices import NoticeError, extend_outage
from core.community.times import parse_moment
from core.identity import Identity
from core.models import Community
from core.residents.common import community_today
from handlers.kit import admin_router, group_command

router = admin_router("community.outage_extend")

group_command("extend", __("Extend an outage: /extend <notice #> <new end>"), order=54)

_ARGS = re.compile(r"^#?(\d+)\s+(.+)$")


@router.message(Command("extend"), flags={"staff": "notices.send"})
async def extend(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    app: AppContext,
) -> None:
    found = _ARGS.match((command.args or "").strip())
    ends_at = parse_moment(found.group(2), community.timezone) if found else None
    if found is None or ends_at is None:
        await message.answer(
            _(
                "Send /extend with the notice number and the new end, e.g. /extend 3 {example}"
            ).format(example="2026-12-04 20:00")
        )
        return
    try:
        notice, count = await extend_outage(
            session,
            community_id=community.id,
            notice_id=int(found.group(1)),
            ends_at=ends_at,
            author_person_id=identity.person_id,
            now=app.clock.now(),
            today=community_today(community, app.clock),
        )
    except NoticeError as exc:
        await message.answer(_refusal(exc.code))
        return
    await message.answer(
        _("⏳ The outage is extended: notice #{id} goes to {count} residents.").format(
            id=notice.id, count=count
        )
    )


def _refusal(code: str) -> str:
    return {
        "not_found": _("There is no such notice in this community."),
        "not_outage": _("Only an outage notice can be extended."),
        "not_current": _("That outage is not current: it is not sent yet, or already over."),
        "bad_window": _("The new end must be later than the current end and than now."),
        "no_recipients": _("Nobody received that notice, so nobody is told."),
    }.get(code, _("The outage could not be extended."))
