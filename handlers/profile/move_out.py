"""Moving out and withdrawing an application, from the profile.

Moving out:
1. "Move out of {unit}": what ends (passes, face data, invitations of this home)
   and a reminder to return keys and access card; "Yes, I have moved out" or Back.
2. The residency ends at once — it only takes away the resident's own access.
3. The resident gets their menu; staff get a card to collect keys and access card.

Withdrawing:
1. "Withdraw application #…? Its documents are deleted." Yes or Back.
2. The application is withdrawn and its card in the admin group loses its buttons.
"""

from __future__ import annotations

import html
import logging

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity, load_identity
from core.movein.office import residency_card
from core.residents import ResidentsError, end_residency, withdraw_application
from handlers.kit import (
    commit_before_send,
    menu_keyboard,
    private_router,
    refuse_foreign,
    reply,
)
from handlers.movein.handover import ask_for_keys_back
from handlers.movein.posting import refresh_card
from handlers.movein.views import show
from handlers.profile.views import PrCb, ask_to_confirm, back_to_profile, button

log = logging.getLogger(__name__)

router = private_router("profile.move_out")


@router.callback_query(PrCb.filter(F.action.in_({"out", "outy"})), StateFilter("*"))
async def move_out(
    query: CallbackQuery,
    callback_data: PrCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    membership = next((u for u in identity.units if u.residency_id == callback_data.id), None)
    if membership is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "home.use",
            _("You no longer live there."),
            target_type="residency",
            target_id=callback_data.id,
        )
        return
    if callback_data.action == "out":
        await ask_to_confirm(
            query,
            _(
                "Move out of {unit}? Your access to the home ends now: gate passes, face "
                "data and invitations of this home are revoked. Please return keys and "
                "access card to the property office."
            ).format(unit=html.escape(membership.unit_label)),
            button(_("Yes, I have moved out"), "outy", membership.residency_id),
            back_to_profile(),
        )
        return
    residency = await end_residency(
        session,
        membership.residency_id,
        clock=app.clock,
        reason="moved_out",
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
    )
    # Staff log "keys returned" on the card posted below: it must not outlive a
    # move-out that rolled back.
    await commit_before_send(session)
    refreshed = await load_identity(session, identity.telegram_id)
    await show(
        query,
        _("You have moved out of {unit}. Thank you for living with us!").format(
            unit=html.escape(membership.unit_label)
        ),
    )
    assert isinstance(query.message, Message)
    await reply(query.message, _("What can I do for you?"), reply_markup=menu_keyboard(refreshed))
    card = await residency_card(session, residency.id)
    if card is not None:
        await ask_for_keys_back(app, session, card, card.person.full_name, membership.unit_label)


@router.callback_query(PrCb.filter(F.action.in_({"wd", "wdy"})), StateFilter("*"))
async def withdraw(
    query: CallbackQuery,
    callback_data: PrCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    if callback_data.action == "wd":
        await ask_to_confirm(
            query,
            _("Withdraw application #{id}? Its documents are deleted.").format(id=callback_data.id),
            button(_("Yes, withdraw"), "wdy", callback_data.id),
            back_to_profile(),
        )
        return
    assert identity.person_id is not None
    try:
        await withdraw_application(session, callback_data.id, identity.person_id, clock=app.clock)
    except ResidentsError as exc:
        if exc.code == "not_found":  # another person's application (a forged button)
            await refuse_foreign(
                query,
                session,
                identity,
                "movein.withdrawn",
                _("This application is already decided."),
                target_type="application",
                target_id=callback_data.id,
            )
            return
        await reply(query, _("This application is already decided."), alert=True)
        return
    # The card below loses its buttons: a staff press racing the edit must find the
    # application withdrawn.
    await commit_before_send(session)
    await show(query, _("Application #{id} withdrawn.").format(id=callback_data.id))
    try:
        await refresh_card(app, session, callback_data.id)
    except TelegramBadRequest:
        log.info("card not refreshed", exc_info=True)
