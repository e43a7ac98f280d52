"""Moving in with an invitation: the last step.

1. After the service contract is accepted, the invitation is redeemed: the
   person is an active resident at once, with the agreements, name and phone
   they gave (one transaction).
2. "Welcome home!" with the resident's menu.
3. The admin group is told who joined which unit, with an "End this residency"
   button.
"""

from __future__ import annotations

import html
import logging
from datetime import date

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group
from core.agreements import Acceptance
from core.identity import Identity, load_identity
from core.invitations import InvitationError
from core.models import ResidencyRole
from core.movein.homes import join_with_invitation
from handlers.kit import commit_before_send, menu_keyboard, reply
from handlers.movein.callbacks import EndCb
from handlers.movein.posting import movein_thread
from handlers.movein.texts import invitation_error_text, person_link, role_label
from handlers.movein.views import person_id

log = logging.getLogger(__name__)


async def finish_invitation(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    data = await state.get_data()
    try:
        joined = await join_with_invitation(
            session,
            int(data["invitation_id"]),
            person_id(identity),
            community_id=int(data["community_id"]),
            role=ResidencyRole(data["role"]) if data.get("role") else None,
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            full_name=data["full_name"],
            phone=data["phone"],
            acceptances=[Acceptance.from_json(a) for a in data["acceptances"]],
            clock=app.clock,
        )
    except InvitationError as exc:
        await state.clear()
        await reply(message, invitation_error_text(exc.code), reply_markup=menu_keyboard(identity))
        return
    residency, community, person = joined.residency, joined.community, joined.person
    await state.clear()
    # The office's notice below has "End this residency", and the resident's new menu
    # acts on the residency: both must find it.
    await commit_before_send(session)
    refreshed = await load_identity(session, identity.telegram_id)
    await reply(
        message,
        _("🎉 Welcome home! You are registered in {unit} ({community}) as {role}.").format(
            unit=html.escape(data["unit_label"]),
            community=html.escape(community.name),
            role=role_label(residency.role),
        ),
        reply_markup=menu_keyboard(refreshed),
    )
    try:
        await send_to_admin_group(
            app,
            community,
            lambda: _(
                "🏠 {person} joined {unit} as {role} with an invitation. Phone: {phone}."
            ).format(
                person=person_link(person.telegram_id, person.full_name),
                unit=html.escape(data["unit_label"]),
                role=role_label(residency.role),
                phone=html.escape(person.phone or "—"),
            ),
            thread_id=await movein_thread(app, community),
            reply_markup=lambda: InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("End this residency"),
                            callback_data=EndCb(residency_id=residency.id).pack(),
                        )
                    ]
                ]
            ),
        )
    except TelegramBadRequest:
        log.warning("join notice not posted", exc_info=True)
