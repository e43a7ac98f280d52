"""The office decides a move-in application, in the admin group.

1. The card (:mod:`.posting`) has Approve, Reject and Ask for more; managers
   decide, anyone else is refused (and audited).
2. Approve: the residency is active; the card shows who decided and when; the
   resident gets "Welcome home!" with their menu, and staff a hand-over card
   (:mod:`.handover`).
3. Reject / Ask for more: the staff member is asked to reply to a prompt with
   the reason or the request (``/cancel`` keeps the application open). A
   rejection closes the card and tells the applicant why; a request keeps the
   card open and gives the applicant a "Send documents" button
   (:mod:`.more_documents`).
4. A resident the bot cannot reach is reported to staff.
"""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ForceReply, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_person
from core.formatting import fmt_short_datetime
from core.identity import Identity, UnitMembership
from core.models import Community, Person, StaffRole
from core.movein_models import ApplicationStatus, MoveInApplication
from core.residents import (
    ResidentsError,
    approve_application,
    get_application,
    reject_application,
    request_more_documents,
)
from handlers.menu import menu_keyboard
from handlers.movein.callbacks import ReviewCb, ReviewStates
from handlers.movein.handover import post_handover
from handlers.movein.more_documents import more_documents_keyboard
from handlers.movein.notices import staff_name, tell_staff_unreachable
from handlers.movein.posting import application_card, edit_card, refresh_card
from handlers.movein.texts import person_link, status_label
from handlers.staff import AdminGroup, ensure_staff

router = Router(name="movein.decide")

DECIDERS = (StaffRole.MANAGER,)


async def _load_for_staff(
    query: CallbackQuery,
    session: AsyncSession,
    community: Community,
    app_id: int,
) -> MoveInApplication | None:
    try:
        application = await get_application(session, app_id)
    except ResidentsError:
        await query.answer(_("This application no longer exists."), show_alert=True)
        return None
    if application.community_id != community.id:
        await query.answer(_("This application belongs to another community."), show_alert=True)
        return None
    if not application.status.is_open:
        await query.answer(
            _("Already decided: {status}.").format(status=status_label(application.status)),
            show_alert=True,
        )
        return None
    return application


@router.callback_query(ReviewCb.filter(F.action == "a"), AdminGroup())
async def approve(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(query, app, identity, community, *DECIDERS, action="movein.approve"):
        return
    application = await _load_for_staff(query, session, community, callback_data.app_id)
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
        await query.answer(_("Someone else has just decided this application."), show_alert=True)
        return
    await session.commit()  # the decision stands even if Telegram fails below
    await query.answer(_("Approved."))
    await _after_decision(
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


async def _after_decision(
    app: AppContext,
    community: Community,
    application: MoveInApplication,
    staff: str,
) -> None:
    if app.bot is None or application.admin_message_id is None or application.admin_chat_id is None:
        return
    with app.i18n.use_locale(community.locale):
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


async def _prompt(
    query: CallbackQuery,
    state: FSMContext,
    app: AppContext,
    community: Community,
    application: MoveInApplication,
    identity: Identity,
    action: str,
) -> None:
    assert app.bot is not None and isinstance(query.message, Message)
    with app.i18n.use_locale(community.locale):
        if action == "r":
            text = _(
                "{staff}, reply to this message with the reason for rejecting application "
                "#{id} ({unit}). The applicant will read it. Send /cancel to keep it open."
            )
        else:
            text = _(
                "{staff}, reply to this message with what the applicant of #{id} ({unit}) "
                "should send. Send /cancel to leave it."
            )
        prompt = await query.message.reply(
            text.format(
                staff=person_link(identity.telegram_id, identity.full_name),
                id=application.id,
                unit=html.escape(application.unit.label),
            ),
            reply_markup=ForceReply(selective=True),
        )
    await state.set_state(ReviewStates.reason)
    await state.set_data({"app_id": application.id, "action": action, "prompt": prompt.message_id})
    await query.answer()


@router.callback_query(ReviewCb.filter(F.action.in_({"r", "m"})), AdminGroup())
async def reject_or_ask(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    action = "movein.reject" if callback_data.action == "r" else "movein.ask_more"
    if not await ensure_staff(query, app, identity, community, *DECIDERS, action=action):
        return
    application = await _load_for_staff(query, session, community, callback_data.app_id)
    if application is None:
        return
    if callback_data.action == "m" and application.status != ApplicationStatus.SUBMITTED:
        await query.answer(_("Already waiting for the applicant's documents."), show_alert=True)
        return
    await _prompt(query, state, app, community, application, identity, callback_data.action)


@router.message(Command("cancel"), ReviewStates.reason, AdminGroup())
async def cancel_prompt(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.reply(_("Left as it was."))


async def _replies_to_prompt(message: Message, state: FSMContext) -> bool:
    """Only a reply to our own prompt is the answer; anything else in the group
    (a reply to a ticket card…) stays for the other features."""
    if message.reply_to_message is None:
        return False
    data = await state.get_data()
    return bool(message.reply_to_message.message_id == data.get("prompt"))


@router.message(ReviewStates.reason, AdminGroup(), _replies_to_prompt)
async def reason_given(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    data = await state.get_data()
    if not message.text or message.text.startswith("/"):
        await message.reply(_("Please reply with text."))
        return
    action = "movein.reject" if data.get("action") == "r" else "movein.ask_more"
    if not await ensure_staff(message, app, identity, community, *DECIDERS, action=action):
        await state.clear()
        return
    assert identity.person_id is not None
    try:
        if data.get("action") == "r":
            application = await reject_application(
                session,
                int(data["app_id"]),
                message.text,
                staff_person_id=identity.person_id,
                staff_telegram_id=identity.telegram_id,
                clock=app.clock,
            )
        else:
            application = await request_more_documents(
                session,
                int(data["app_id"]),
                message.text,
                staff_person_id=identity.person_id,
                staff_telegram_id=identity.telegram_id,
            )
    except ResidentsError:
        await state.clear()
        await message.reply(_("This application was decided meanwhile; nothing changed."))
        return
    if application.community_id != community.id:  # pragma: no cover - guarded at the button
        raise RuntimeError("application of another community")
    await state.clear()
    await session.commit()
    person = application.person
    if application.status == ApplicationStatus.REJECTED:
        await _after_decision(
            app, community, application, await staff_name(session, identity, message.from_user)
        )
        with app.i18n.use_locale(community.locale):
            await message.reply(_("Rejected. I have told the applicant."))
        # The service keeps the reason as the applicant reads it (trimmed, shortened).
        reason = application.decision_reason or ""
        delivery = await send_to_person(
            app,
            person,
            lambda: _(
                "The property office could not approve your application for {unit}.\n"
                "Reason: {reason}\nYou can apply again from the menu."
            ).format(unit=application.unit.label, reason=html.escape(reason)),
            reply_markup=lambda: menu_keyboard(
                Identity(person_id=person.id, telegram_id=person.telegram_id or 0)
            ),
        )
    else:
        await refresh_card(app, session, application.id)
        with app.i18n.use_locale(community.locale):
            await message.reply(_("Sent to the applicant. The card stays open."))
        note = application.staff_request or ""
        delivery = await send_to_person(
            app,
            person,
            lambda: _(
                "The property office needs more from you for {unit}:\n{note}\n"
                "Press the button below, then send photos or documents."
            ).format(unit=application.unit.label, note=html.escape(note)),
            reply_markup=lambda: more_documents_keyboard(application.id),
        )
    await tell_staff_unreachable(app, community, application.full_name, delivery)
