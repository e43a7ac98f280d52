"""Refunding temporary parking paid after the car had left, in the admin group.

1. ``/parkrefund PLATE`` (``vehicles.refund``, managers; a refusal is audited by the
   staff gate): every payment for that plate's stays that arrived after the car left
   and is not refunded yet is refunded in the fee ledger, as a manual refund
   (access.vehicles.parking_refund: the Bot API cannot return a card payment), and
   audited ``parking.refund``; no plate, a malformed one, or nothing to refund gets
   its answer and changes nothing.
2. The staff are told the amount and to return the money through the payment
   provider or in cash; each payer is told in their own language.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.vehicles.parking import ParkingError
from access.vehicles.parking_refund import LateRefund, refund_late_parking
from bot.context import AppContext
from core.formatting import fmt_money
from core.identity import Identity
from core.models import Community
from handlers.gate.audit import audit
from handlers.kit import admin_router, commit_before_send, group_command

log = logging.getLogger(__name__)
router = admin_router("gate.parking_refund")

group_command(
    "parkrefund", __("Refund parking paid after the car left: /parkrefund PLATE"), order=51
)


@router.message(Command("parkrefund"), flags={"staff": "vehicles.refund"})
async def park_refund(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    try:
        done = await refund_late_parking(
            session,
            community,
            command.args or "",
            actor_person_id=identity.person_id,
            actor_telegram_id=identity.telegram_id,
            now=app.clock.now(),
        )
    except ParkingError as exc:
        if exc.code == "bad_plate":
            await message.reply(_("Usage: /parkrefund PLATE, e.g. /parkrefund 粤B12345"))
        else:
            await message.reply(
                _("No parking payment for that plate arrived after the car left, or it is "
                  "already refunded. Nothing was changed.")
            )  # fmt: skip
        return
    details = {"plate": done.plate, "amount_minor": done.amount_minor, "payments": done.payment_ids}
    await audit(session, "parking.refund", community, identity, details=details)
    await commit_before_send(session)
    amount = fmt_money(done.amount_minor, community.currency, community.locale)
    await message.reply(
        _("↩️ {amount} for {plate} is recorded as a manual refund in the accounts. Please "
          "return it to the payer through the payment provider or in cash.").format(
            amount=amount, plate=escape(done.plate)
        )
    )  # fmt: skip
    await _tell_payers(message, app, community, done)


async def _tell_payers(
    message: Message, app: AppContext, community: Community, done: LateRefund
) -> None:
    assert message.bot is not None
    for payer in done.tell:
        with app.i18n.use_locale(payer.locale):
            text = _(
                "↩️ Your parking payment of {amount} for {plate} arrived after the car had "
                "left. The property office is refunding it to you by hand, through the "
                "payment provider or in cash; contact the office if it has not arrived "
                "within a few days."
            ).format(
                amount=fmt_money(payer.amount_minor, community.currency, payer.locale),
                plate=done.plate,
            )
        try:
            await message.bot.send_message(payer.telegram_id, text)
        except TelegramAPIError as exc:  # blocked the bot: the office has the audit row
            log.info("refund notice not delivered", extra={"fields": {"error": str(exc)}})
