"""Rejecting an application, or asking the applicant for more, in the admin group.

1. Reject / Ask for more on the card (managers): the staff member is asked to
   reply to a prompt with the reason or the request; ``/cancel`` leaves the
   application as it was. Ask for more only while the card waits for review.
2. Their reply (only a reply to that prompt, as text): a rejection closes the card
   and tells the applicant why; a request keeps the card open and gives the
   applicant a "Send documents" button (:mod:`.more_documents`).
3. A resident the bot cannot reach is reported to staff.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ForceReply, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_person
from core.identity import Identity
from core.models import Community
from core.movein_models import ApplicationStatus, MoveInApplication
from core.residents import ResidentsError, reject_application, request_more_documents
from handlers.kit import (
    admin_router,
    answer_query,
    commit_before_send,
    menu_keyboard,
    reply,
)
from handlers.movein.callbacks import ReviewCb, ReviewStates
from handlers.movein.decide import open_application, show_decision
from handlers.movein.more_documents import more_documents_keyboard
from handlers.movein.notices import staff_name, tell_staff_unreachable
from handlers.movein.posting import refresh_card
from handlers.movein.texts import person_link

router = admin_router("movein.reasons")

REJECT, ASK = "r", "m"  # the card's buttons, and the prompt's kind kept in the state
ACTIONS = {REJECT: "movein.reject", ASK: "movein.ask_more"}


async def _prompt(
    query: CallbackQuery,
    state: FSMContext,
    application: MoveInApplication,
    identity: Identity,
    kind: str,
) -> None:
    assert isinstance(query.message, Message)
    if kind == REJECT:
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
    await state.set_data({"app_id": application.id, "action": kind, "prompt": prompt.message_id})
    await answer_query(query)


def _button_action(event: TelegramObject, data: dict[str, Any]) -> str:
    """The staff action of the pressed button (for the staff gate)."""
    return ACTIONS[data["callback_data"].action]


@router.callback_query(ReviewCb.filter(F.action.in_(ACTIONS)), flags={"staff": _button_action})
async def reject_or_ask(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    state: FSMContext,
    identity: Identity,
    community: Community,
) -> None:
    application = await open_application(
        query,
        session,
        identity,
        community,
        callback_data.app_id,
        ACTIONS[callback_data.action],
    )
    if application is None:
        return
    if callback_data.action == ASK and application.status != ApplicationStatus.SUBMITTED:
        await reply(query, _("Already waiting for the applicant's documents."), alert=True)
        return
    await _prompt(query, state, application, identity, callback_data.action)


@router.message(Command("cancel"), ReviewStates.reason)
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


async def _prompted_action(event: TelegramObject, data: dict[str, Any]) -> str:
    """The staff action the answered prompt was for (the staff gate checks it again:
    the role may have changed since the button)."""
    state: FSMContext = data["state"]
    return ACTIONS[REJECT if (await state.get_data()).get("action") == REJECT else ASK]


@router.message(ReviewStates.reason, _replies_to_prompt, flags={"staff": _prompted_action})
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
    assert identity.person_id is not None
    try:
        if data.get("action") == REJECT:
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
    # The applicant is told below and acts on it at once (applies again, or sends
    # documents): the decision must be there.
    await commit_before_send(session)
    person = application.person
    if application.status == ApplicationStatus.REJECTED:
        await show_decision(
            app, community, application, await staff_name(session, identity, message.from_user)
        )
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
