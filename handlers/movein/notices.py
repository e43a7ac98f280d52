"""What the office is told about the people it acts for: a resident the bot could
not reach, and the acting staff member's name on cards."""

from __future__ import annotations

import html

from aiogram.types import User
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group
from bot.sender import Delivery
from core.identity import Identity
from core.models import Community
from core.movein.office import learn_person_name
from handlers.movein.posting import movein_thread


async def tell_staff_unreachable(
    app: AppContext, community: Community, person_name: str, delivery: Delivery
) -> None:
    """A resident who cannot be reached must be visible to staff."""
    if delivery.ok:
        return

    def text() -> str:  # in the group's language, reason included
        reasons = {
            "blocked": _("they have blocked the bot"),
            "deactivated": _("their Telegram account is deleted"),
            "no_telegram": _("they have no Telegram account"),
        }
        return _("⚠️ I could not tell {name} about this: {reason}. Please call them.").format(
            name=html.escape(person_name),
            reason=reasons.get(delivery.reason or "", _("Telegram refused the message")),
        )

    await send_to_admin_group(app, community, text, thread_id=await movein_thread(app, community))


async def staff_name(session: AsyncSession, identity: Identity, user: User | None) -> str:
    """The acting staff member's name. Staff added by the operator may never
    have written to the bot in private: learn their name from Telegram then,
    so cards and hand-over logs say who did it."""
    if identity.full_name:
        return identity.full_name
    if user is None:
        return str(identity.telegram_id)
    if identity.person_id is not None:
        await learn_person_name(session, identity.person_id, user.full_name)
    return user.full_name
