"""Staff decide a worker pass request in the admin group.

1. Approve or Reject on the request's card (``passes.worker_approve`` /
   ``passes.worker_reject`` in ``core.permissions``).
2. Approve: the pass becomes active with a fresh code; the card says who approved
   it, and the host gets the code, QR and share link (if the host cannot be reached,
   the group is told to give it another way).
3. Reject: the card says who rejected it and the host is told (or the group hears
   that the host could not be).
A request someone already decided, or whose days are over, can no longer be decided.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import community_gates
from access.lookups import worker_request
from access.passes import PassError, approve_worker_pass, reject_worker_pass
from bot.context import AppContext
from bot.notify import send_to_person
from core.identity import Identity
from core.models import Community
from handlers.gate.audit import audit
from handlers.gate.keyboards import WorkerDecisionCb
from handlers.gate.texts import pass_error_text
from handlers.gate.views import close_card, send_pass_to_host
from handlers.kit import admin_router, commit_before_send, refuse_foreign

router = admin_router("gate.worker_decision")


@router.callback_query(
    WorkerDecisionCb.filter(F.action == "approve"), flags={"staff": "passes.worker_approve"}
)
@router.callback_query(
    WorkerDecisionCb.filter(F.action == "reject"), flags={"staff": "passes.worker_reject"}
)
async def worker_decision(
    query: CallbackQuery,
    callback_data: WorkerDecisionCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    action = f"passes.worker_{callback_data.action}"
    assert identity.person_id is not None
    now = app.clock.now()
    staff_name = escape(identity.full_name)
    request = await worker_request(session, callback_data.pass_id, community.id)
    if request is None:
        await refuse_foreign(
            query,
            session,
            identity,
            action,
            _("That request was not found."),
            target_type="pass",
            target_id=callback_data.pass_id,
            community_id=community.id,
        )
        return
    row, host = request.pass_, request.host
    gates = await community_gates(session, community.id)
    try:
        if callback_data.action == "approve":
            issued = await approve_worker_pass(
                session,
                secret_key=app.secret_key,
                now=now,
                pass_id=row.id,
                community_id=community.id,
                staff_person_id=identity.person_id,
            )
        else:
            issued = None
            await reject_worker_pass(
                session,
                now=now,
                pass_id=row.id,
                community_id=community.id,
                staff_person_id=identity.person_id,
            )
    except PassError as exc:
        texts = {
            "already_decided": _("Someone already decided this request."),
            "expired": _("This request's days are over; it can no longer be approved."),
        }
        await query.answer(texts.get(exc.code, pass_error_text(exc)), show_alert=True)
        if exc.code in ("already_decided", "expired") and isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    await audit(session, action, community, identity, target=("pass", row.id))
    # The host may be at the gate with the code a moment after it is sent: the pass
    # must be active (or the rejection final) for the gate and for a second press.
    await commit_before_send(session)
    if issued is not None:
        await query.answer(_("Approved."))
        await close_card(query, _("✅ Approved by {name}.").format(name=staff_name))
        reached = False
        if host is not None and host.telegram_id is not None:
            delivery = await send_pass_to_host(
                app, host.telegram_id, host.locale, row, issued, community, gates
            )
            reached = delivery.ok
        if not reached and isinstance(query.message, Message):
            unit = f" ({escape(request.unit_label)})" if request.unit_label else ""
            await query.message.answer(
                _(
                    "⚠️ I could not send the code of pass #{id} to the resident{unit} — they may "
                    "have blocked the bot. Please give it to them another way: revoke and "
                    "re-issue after contacting them."
                ).format(id=row.id, unit=unit)
            )
    else:
        await query.answer(_("Rejected."))
        await close_card(query, _("⛔ Rejected by {name}.").format(name=staff_name))
        if host is not None:
            delivery = await send_to_person(
                app,
                host,
                lambda: _(
                    "⛔ The property office did not approve worker pass #{id} for {name}. "
                    "Please contact them if you have questions."
                ).format(id=row.id, name=escape(row.holder_name)),
            )
            if not delivery.ok and isinstance(query.message, Message):
                await query.message.answer(
                    _("⚠️ The resident could not be told about the rejection (bot blocked).")
                )
