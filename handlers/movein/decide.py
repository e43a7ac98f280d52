"""The office decides a move-in application, in the admin group.

1. The card (:mod:`.posting`) has Approve, Reject and Ask for more; managers
   decide, anyone else is refused (and audited) by the staff gate.
2. Approve: the residency is active; the card shows who decided and when; the
   resident gets "Welcome home!" with their menu, and staff a hand-over card
   (:mod:`.handover`).
3. Reject / Ask for more (:mod:`.reasons`): the staff member replies to a prompt
   with the reason or the request.
4. A resident the bot cannot reach is reported to staff.
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_person
from core.formatting import fmt_short_datetime
from core.identity import Identity, UnitMembership
from core.models import Community, Person
from core.movein_models import MoveInApplication
from core.residents import ResidentsError, approve_application, get_application
from handlers.kit import (
    admin_router,
    answer_query,
    commit_before_send,
    menu_keyboard,
    refuse_foreign,
    reply,
)
from handlers.movein.callbacks import ReviewCb
from handlers.movein.handover import post_handover
from handlers.movein.notices import staff_name, tell_staff_unreachable
from handlers.movein.posting import application_card, edit_card
from handlers.movein.texts import status_label

router = admin_router("movein.decide")


async def open_application(
    query: CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    community: Community,
    app_id: int,
    action: str,
) -> MoveInApplication | None:
    """The application a card's button names, if it is this community's and still
    open (otherwise the presser is told why)."""
    try:
        application = await get_application(session, app_id)
    except ResidentsError:
        await reply(query, _("This application no longer exists."), alert=True)
        return None
    if application.community_id != community.id:
        await refuse_foreign(
            query,
            session,
            identity,
            action,
            _("This application belongs to another community."),
            target_type="application",
            target_id=app_id,
            community_id=community.id,
        )
        return None
    if not application.status.is_open:
        await reply(
            query,
            _("Already decided: {status}.").format(status=status_label(application.status)),
            alert=True,
        )
        return None
    return application


async def show_decision(
    app: AppContext, community: Community, application: MoveInApplication, staff: str
) -> None:
    """The card, closed: the decision, who made it and when."""
    if app.bot is None or application.admin_message_id is None or application.admin_chat_id is None:
        return
    assert application.decided_at is not None
    outcome = _("{status} by {staff} on {when}").format(
        status=status_label(application.status).capitalize(),
        staff=html.escape(staff),
        when=fmt_short_datetime(application.decided_at, community.timezone, community.locale),
    )
    await edit_card(
        app.bot,
        application.admin_chat_id,
        application.admin_message_id,
        application_card(application, community) + "\n" + outcome,
        None,
    )


@router.callback_query(ReviewCb.filter(F.action == "a"), flags={"staff": "movein.approve"})
async def approve(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    application = await open_application(
        query, session, identity, community, callback_data.app_id, "movein.approve"
    )
    if application is None:
        return
    assert identity.person_id is not None
    try:
        application = await approve_application(
            session,
            application.id,
            staff_person_id=identity.person_id,
            staff_telegram_id=identity.telegram_id,
            clock=app.clock,
        )
    except ResidentsError:
        await reply(query, _("Someone else has just decided this application."), alert=True)
        return
    # The resident is told and gets their menu, staff get the keys card: both act on
    # the residency at once.
    await commit_before_send(session)
    await answer_query(query, _("Approved."))
    await show_decision(
        app, community, application, await staff_name(session, identity, query.from_user)
    )
    person = application.person
    delivery = await send_to_person(
        app,
        person,
        lambda: _(
            "✅ Welcome home! The property office approved your application for {unit}. "
            "Keys and access card are handed over at the property office."
        ).format(unit=application.unit.label),
        reply_markup=lambda: menu_keyboard(_resident_identity(person, application)),
    )
    await tell_staff_unreachable(app, community, application.full_name, delivery)
    await post_handover(
        app,
        session,
        community,
        application.residency_id,
        application.full_name,
        application.unit.label,
    )


def _resident_identity(person: Person, application: MoveInApplication) -> Identity:
    """The approved resident as their menu sees them (without another query)."""
    return Identity(
        person_id=person.id,
        telegram_id=person.telegram_id or 0,
        locale=person.locale,
        full_name=person.full_name,
        units=(
            UnitMembership(
                application.residency_id,
                application.unit_id,
                application.community_id,
                application.unit.label,
                application.role,
            ),
        ),
    )
