"""The chat side of an exit held for parking: the car's host (a visitor's) or owner (a
resident's own car without monthly parking) hears it is at the exit, what it owes, and
gets Pay (answered by ``parking_pay``). Told once per stay, at its first hold."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from access.decision import Decision
from access.gates import GateInfo
from access.lookups import person_by_id
from bot.context import AppContext
from bot.notify import send_to_person
from core.formatting import fmt_money
from handlers.gate.keyboards import ParkingCb


async def tell_parking_due(ctx: AppContext, gate: GateInfo, decision: Decision) -> None:
    payment = decision.payment
    person_id = decision.host_person_id or decision.person_id
    if ctx.bot is None or payment is None or person_id is None:
        return
    async with ctx.session_factory() as session:
        person = await person_by_id(session, person_id)
    if person is None:
        return
    plate = payment.plate

    def build() -> str:
        amount = fmt_money(payment.amount_minor, payment.currency, person.locale)
        return _(
            "🅿️ {plate} is at the exit of {gate}: {amount} parking to pay before the barrier opens."
        ).format(plate=escape(plate), gate=escape(gate.name), amount=amount)

    def markup() -> InlineKeyboardMarkup:
        pay = ParkingCb(stay_id=payment.stay_id).pack()
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=_("Pay {plate}").format(plate=plate), callback_data=pay)]
            ]
        )

    await send_to_person(ctx, person, build, reply_markup=markup)
