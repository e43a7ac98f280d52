"""Paying temporary parking in the chat: the host for their visitor's car, a resident
for their own (when their home has no monthly parking), anyone with the exit's code.

1. ``/parking`` or 🅿️ in the menu: the cars of the resident's homes inside now that
   owe parking, each with what it owes and Pay; none: says so.
2. ``/parking CODE``: the code the exit terminal showed → that stay's Pay, for anyone
   (a visitor paying themself); a code that matches no stay is answered so.
3. Pay: a stay of another home is refused and audited; nothing due any more (paid, or
   the car left) is answered so; else the invoice (Telegram payments, the provider the
   fees use). The checkout and the payment report are ``parking_checkout``.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.vehicles.models import VehicleVisit
from access.vehicles.parking import StayDue, due_now, payload, stay_by_code, stays_to_pay
from bot.context import AppContext
from core.formatting import fmt_money, fmt_short_datetime
from core.identity import Identity
from handlers.fees.invoices import provider_token
from handlers.gate.keyboards import ParkingCb
from handlers.kit import (
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    reply,
    residents,
)

router = private_router("gate.parking_pay")

menu_entry("parking", __("🅿️ Parking"), residents, order=36)
private_command("parking", __("Pay for parking: /parking [code from the exit]"), order=36)


def _line(due: StayDue, locale: str | None) -> str:
    community = due.community
    since = fmt_short_datetime(due.stay.entered_at, community.timezone, locale)
    amount = fmt_money(due.due_minor, community.currency, locale)
    return _("🚗 {plate} · in since {since} · {amount} due").format(
        plate=escape(due.stay.plate), since=since, amount=amount
    )


@router.callback_query(F.data == "menu:parking")
@router.message(Command("parking"))
async def parking(
    event: Message | CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
    command: CommandObject | None = None,
) -> None:
    now = app.clock.now()
    code = (command.args or "").strip() if command is not None else ""
    if code:
        stay = await stay_by_code(session, app.secret_key, code)
        if stay is None:
            await reply(event, _("That code matches no car at an exit. Please check it."))
            return
        await _invoice(event, await due_now(session, stay, now), app, locale)
        return
    dues = await stays_to_pay(session, [u.unit_id for u in identity.units], now)
    if not dues:
        await reply(event, _("No car of your home owes parking now."))
        return
    rows = [
        [InlineKeyboardButton(text=_("Pay {plate}").format(plate=d.stay.plate),
                              callback_data=ParkingCb(stay_id=d.stay.id).pack())]
        for d in dues
    ]  # fmt: skip
    text = "\n".join([_("🅿️ Parking to pay:"), *(_line(d, locale) for d in dues)])
    await reply(event, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(ParkingCb.filter())
async def pay_pressed(
    query: CallbackQuery,
    callback_data: ParkingCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    stay = await session.get(VehicleVisit, callback_data.stay_id)
    if stay is None or stay.unit_id not in {u.unit_id for u in identity.units}:
        await refuse_foreign(
            query,
            session,
            identity,
            "parking.pay",
            _("That car is not one of your home's."),
            target_type="vehicle_visit",
            target_id=callback_data.stay_id,
        )
        return
    await _invoice(query, await due_now(session, stay, app.clock.now()), app, locale)


async def _invoice(
    event: Message | CallbackQuery, due: StayDue, app: AppContext, locale: str
) -> None:
    if due.due_minor <= 0:
        text = (
            _("That car has already left: nothing to pay.")
            if not due.stay.inside
            else _("Nothing is due for {plate} now: it may leave.").format(plate=due.stay.plate)
        )
        await reply(event, text)
        return
    token = provider_token(app)
    message = event if isinstance(event, Message) else event.message
    chat_id = message.chat.id if message is not None else None
    if token is None or app.bot is None or chat_id is None:
        no_payments = _("Paying in the chat is not set up here. Please ask the guard at the exit.")
        await reply(event, no_payments)
        return
    amount = fmt_money(due.due_minor, due.community.currency, locale)
    if isinstance(event, CallbackQuery):
        await event.answer()
    await app.bot.send_invoice(
        chat_id=chat_id,
        title=_("Parking {plate}").format(plate=due.stay.plate)[:32],
        description=_("Temporary parking for {plate}: {amount}. The exit opens once paid.").format(
            plate=due.stay.plate, amount=amount
        ),
        payload=payload(due.stay.id, due.due_minor),
        provider_token=token,
        currency=due.community.currency,
        prices=[LabeledPrice(label=_("Parking"), amount=due.due_minor)],
        start_parameter="parking",
    )
