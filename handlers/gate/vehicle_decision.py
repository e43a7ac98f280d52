"""Staff decide a resident's plate in the admin group.

1. Approve or Reject under the registration certificate (``vehicles.approve`` /
   ``vehicles.reject`` in ``core.permissions``); anyone else is refused and audited
   by the staff gate; a registration of another community is refused and audited.
2. The decision is saved once (a second press hears it was already decided) with the
   certificate's file id cleared; the certificate's message is deleted from the
   group and replaced by a line saying who decided (if Telegram no longer lets the
   bot delete it, its caption says so and staff delete it by hand).
3. The resident is told in their language; if they cannot be reached, the group
   hears it.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.vehicles.registry import VehicleError, decide_vehicle, vehicle_request
from bot.context import AppContext
from bot.notify import send_to_person
from core.identity import Identity
from core.models import Community
from handlers.gate.audit import audit
from handlers.gate.keyboards import VehicleDecisionCb
from handlers.gate.vehicle_views import decided_text, vehicle_error_text
from handlers.kit import admin_router, answer_query, commit_before_send, refuse_foreign

router = admin_router("gate.vehicle_decision")
log = logging.getLogger(__name__)


@router.callback_query(
    VehicleDecisionCb.filter(F.action == "approve"), flags={"staff": "vehicles.approve"}
)
@router.callback_query(
    VehicleDecisionCb.filter(F.action == "reject"), flags={"staff": "vehicles.reject"}
)
async def vehicle_decision(
    query: CallbackQuery,
    callback_data: VehicleDecisionCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    action = f"vehicles.{callback_data.action}"
    approve = callback_data.action == "approve"
    assert identity.person_id is not None
    request = await vehicle_request(session, callback_data.vehicle_id, community.id)
    if request is None:
        await refuse_foreign(
            query,
            session,
            identity,
            action,
            _("That registration was not found."),
            target_type="vehicle",
            target_id=callback_data.vehicle_id,
            community_id=community.id,
        )
        return
    try:
        row = await decide_vehicle(
            session,
            now=app.clock.now(),
            vehicle_id=request.vehicle.id,
            community_id=community.id,
            staff_person_id=identity.person_id,
            approve=approve,
        )
    except VehicleError as exc:
        await answer_query(query, vehicle_error_text(exc), alert=True)
        await _drop_certificate(query, None)
        return
    await audit(
        session,
        action,
        community,
        identity,
        target=("vehicle", row.id),
        details={"plate": row.plate},
    )
    await commit_before_send(session)
    await answer_query(query, _("Approved.") if approve else _("Rejected."))
    staff = escape(identity.full_name)
    outcome = (
        _("✅ Plate {plate} ({unit}) approved by {name}.")
        if approve
        else _("⛔ Plate {plate} ({unit}) rejected by {name}.")
    ).format(plate=escape(row.plate), unit=escape(request.unit_label), name=staff)
    await _drop_certificate(query, outcome)
    reached = False
    if request.person is not None:
        delivery = await send_to_person(app, request.person, lambda: decided_text(row, approve))
        reached = delivery.ok
    if not reached and isinstance(query.message, Message):
        await query.message.answer(
            _("⚠️ The resident could not be told about plate {plate} (bot blocked).").format(
                plate=escape(row.plate)
            )
        )


async def _drop_certificate(query: CallbackQuery, outcome: str | None) -> None:
    """The certificate leaves the group once decided; ``outcome`` takes its place."""
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        deleted = await message.delete()
    except TelegramAPIError:
        deleted = False
    if outcome is not None:
        await message.answer(outcome)
    if not deleted:
        note = _("Decided. Please delete this registration certificate from the chat.")
        try:
            await message.edit_caption(caption=(outcome or "") + "\n" + note)
        except TelegramAPIError:
            log.warning("a decided vehicle certificate could not be deleted nor marked")
