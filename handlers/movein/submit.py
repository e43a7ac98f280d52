"""Applying to move in: the summary and submitting.

1. The summary: community, unit, role, lease end, name, phone, how many
   documents, the agreements; "Submit" or Cancel.
2. Submit writes the whole application in one transaction (the drafts become
   its documents) and tells the applicant its number.
3. The application is posted to the admin group (:mod:`.posting`); if that
   fails, the hourly housekeeping posts it later.
"""

from __future__ import annotations

import html
import logging
from datetime import date

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.agreements import Acceptance
from core.formatting import fmt_date
from core.identity import Identity, load_identity
from core.models import ResidencyRole
from core.movein_models import DocumentKind
from core.residents import ResidentsError, draft_counts, submit_application
from handlers.kit import (
    answer_query,
    commit_before_send,
    menu_keyboard,
    private_router,
    reply,
)
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.posting import post_application
from handlers.movein.texts import role_label
from handlers.movein.views import (
    button,
    cancel_button,
    chat,
    current_locale,
    drop_buttons,
    person_id,
)

log = logging.getLogger(__name__)

router = private_router("movein.submit")


async def show_summary(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    data = await state.get_data()
    counts = await draft_counts(session, person_id(identity))
    lines = [
        _("Please check your application:"),
        _("Community: {name}").format(name=html.escape(data["community_name"])),
        _("Unit: {unit}").format(unit=html.escape(data["unit_label"])),
        _("You are: {role}").format(role=role_label(data["role"])),
    ]
    if data.get("end_date"):
        lines.append(
            _("Lease until: {date}").format(
                date=fmt_date(date.fromisoformat(data["end_date"]), current_locale())
            )
        )
    lines += [
        _("Name: {name}").format(name=html.escape(data["full_name"])),
        _("Phone: {phone}").format(phone=html.escape(data["phone"])),
        _("Documents: {ids} ID, {proofs} proof").format(
            ids=counts[DocumentKind.ID], proofs=counts[DocumentKind.PROOF]
        ),
        _("Community rules and service contract: accepted"),
    ]
    await state.set_state(MoveIn.confirm)
    await reply(
        message,
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[button(_("📨 Submit"), "submit")], [cancel_button()]]
        ),
    )


@router.message(MoveIn.confirm)
async def confirm_pending(message: Message) -> None:
    await reply(message, _("Press “Submit” above to send your application, or send /cancel."))


def _submit_error_text(code: str) -> str:
    return {
        "already_member": _("You are already registered in this home."),
        "already_applied": _(
            "You have already applied for this home; the property office is reviewing it."
        ),
        "missing_id": _("Your ID photo is missing. Please start again from the menu."),
        "missing_proof": _("Your proof of residence is missing. Please start again from the menu."),
        "end_date_required": _("The lease end date has passed. Please start again from the menu."),
        "unit_not_found": _("This unit is no longer available."),
    }.get(code, _("The application could not be sent. Please start again from the menu."))


@router.callback_query(MvCb.filter(F.action == "submit"), MoveIn.confirm)
async def submit(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    data = await state.get_data()
    message = chat(query)
    try:
        application = await submit_application(
            session,
            person_id=person_id(identity),
            unit_id=int(data["unit_id"]),
            role=ResidencyRole(data["role"]),
            full_name=data["full_name"],
            phone=data["phone"],
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            acceptances=[Acceptance.from_json(a) for a in data["acceptances"]],
            clock=app.clock,
        )
    except ResidentsError as exc:
        await state.clear()
        await answer_query(query)
        await reply(message, _submit_error_text(exc.code), reply_markup=menu_keyboard(identity))
        return
    await state.clear()
    # The card posted below is acted on at once (Approve, Reject …): it must find the
    # application, and the applicant is told it is with the office.
    await commit_before_send(session)
    await answer_query(query, _("Sent."))
    await drop_buttons(message)
    refreshed = await load_identity(session, identity.telegram_id)
    await reply(
        message,
        _(
            "📨 Your application #{id} for {unit} is with the property office. I will tell you as "
            "soon as they decide."
        ).format(id=application.id, unit=html.escape(data["unit_label"])),
        reply_markup=menu_keyboard(refreshed),
    )
    try:
        await post_application(app, session, application.id)
    except Exception:
        # Stored and visible to staff later: housekeeping re-posts unposted ones.
        log.exception("application not posted", extra={"fields": {"application": application.id}})
