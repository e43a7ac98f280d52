"""The host's passes: "My passes" with revoking, and "Who used my passes".

1. ``/passes`` or 🎟: the active and pending passes (at most :data:`MAX_LISTED`, one
   Revoke button each).
2. Revoke → "Revoke pass #N?" → Yes: it stops working at every gate at once (gates
   with an offline agent: within its sync interval, said so); Keep it.
3. ``/passhistory`` or 🕘: the latest uses of the host's passes, granted or refused.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.lookups import communities_by_id, community_by_id, host_pass
from access.models import Pass, PassKind, PassStatus
from access.passes import PassError, my_passes, pass_history, revoke_pass
from bot.context import AppContext
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.text_limits import fit_lines
from handlers.gate.keyboards import PassCb, button, keyboard
from handlers.gate.pass_steps import resident_asking
from handlers.gate.texts import (
    fmt_window,
    offline_gates_note,
    pass_error_text,
    reason_label,
)
from handlers.kit import (
    commit_before_send,
    edit,
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    reply,
    residents,
)

router = private_router("gate.my_passes")

menu_entry("passes_mine", __("🎟 My passes"), residents, order=31)
menu_entry("passes_history", __("🕘 Who used my passes"), residents, order=34)
private_command("passes", __("My passes"), order=31)

# "My passes" lists this many (one revoke button each).
MAX_LISTED = 20


def _status_line(row: Pass) -> str:
    if row.status == PassStatus.PENDING:
        return _("⏳ waiting for approval")
    if row.max_uses is not None:
        return _("used {used} of {max}").format(used=row.uses_count, max=row.max_uses)
    return _("used {used} times").format(used=row.uses_count)


@router.callback_query(F.data == "menu:passes_mine", StateFilter("*"))
@router.message(Command("passes"), StateFilter("*"))
async def mine(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    host_id = await resident_asking(event, state, identity)
    if host_id is None:
        return
    rows = await my_passes(session, host_id, app.clock.now())
    if not rows:
        await reply(event, _("You have no active passes. Invite a visitor with /invite."))
        return
    listed = rows[:MAX_LISTED]
    communities = await communities_by_id(session, (row.community_id for row in listed))
    lines = [_("Your active passes:")]
    buttons: list[list[InlineKeyboardButton]] = []
    for row in listed:
        tz = communities[row.community_id].timezone
        courier = row.kind == PassKind.DELIVERY
        who = escape(row.holder_name) or (_("courier") if courier else _("visitor"))
        kind = {PassKind.WORKER: "👷", PassKind.DELIVERY: "📦"}.get(row.kind, "🎫")
        lines.append(
            f"{kind} #{row.id} {who} · "
            f"{fmt_window(row.valid_from, row.valid_until, tz, locale)} · "
            f"{_status_line(row)}"
        )
        buttons.append([button(_("🚫 Revoke #{id}").format(id=row.id), "revoke", row.id)])
    if len(rows) > MAX_LISTED:
        lines.append(_("… and {count} more.").format(count=len(rows) - MAX_LISTED))
    await reply(event, fit_lines(lines), reply_markup=keyboard(buttons))


@router.callback_query(PassCb.numbered("revoke"), StateFilter("*"))
async def revoke_ask(
    query: CallbackQuery, callback_data: PassCb, session: AsyncSession, identity: Identity
) -> None:
    row = await host_pass(session, int(callback_data.value), identity.person_id)
    if row is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "passes.revoke",
            _("That pass was not found."),
            target_type="pass",
            target_id=callback_data.value,
        )
        return
    if row.status not in (PassStatus.ACTIVE, PassStatus.PENDING):
        await query.answer(_("That pass is no longer active."), show_alert=True)
        return
    who = escape(row.holder_name) or _("visitor")
    await reply(
        query,
        _("Revoke pass #{id} ({who})? It stops working at every gate at once.").format(
            id=row.id, who=who
        ),
        reply_markup=keyboard(
            [
                [
                    button(_("🚫 Yes, revoke"), "revoke_yes", row.id),
                    button(_("Keep it"), "revoke_no", row.id),
                ]
            ]
        ),
    )


@router.callback_query(PassCb.numbered("revoke_yes"), StateFilter("*"))
async def revoke_yes(
    query: CallbackQuery,
    callback_data: PassCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    try:
        row = await revoke_pass(
            session,
            now=app.clock.now(),
            pass_id=int(callback_data.value),
            by_person_id=identity.person_id,
            reason="host",
            host_person_id=identity.person_id,
        )
    except PassError as exc:
        await query.answer(pass_error_text(exc), show_alert=True)
        return
    # "It no longer opens any gate" must be true when the host reads it: the gate
    # decides on committed rows.
    await commit_before_send(session)
    await query.answer(_("Revoked."))
    text = _("🚫 Pass #{id} is revoked. It no longer opens any gate.").format(id=row.id)
    await edit(query, text + await offline_gates_note(session, row.community_id))


@router.callback_query(PassCb.filter(F.action == "revoke_no"), StateFilter("*"))
async def revoke_no(query: CallbackQuery) -> None:
    await query.answer(_("Kept."))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


@router.callback_query(F.data == "menu:passes_history", StateFilter("*"))
@router.message(Command("passhistory"), StateFilter("*"))
async def history(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    locale: str,
) -> None:
    host_id = await resident_asking(event, state, identity)
    if host_id is None:
        return
    records = await pass_history(session, host_id)
    if not records:
        await reply(event, _("Nobody has used your passes yet."))
        return
    community = await community_by_id(session, identity.units[0].community_id)
    tz = community.timezone if community else app.settings.timezone
    lines = [_("Who used your passes (latest first):")]
    for rec in records:
        mark = "✅" if rec.granted else "⛔"
        who = escape(rec.holder_name) or _("visitor")
        lines.append(
            f"{mark} {fmt_short_datetime(rec.at, tz, locale)} · {escape(rec.gate_name)} · "
            f"#{rec.pass_id} {who} · {reason_label(rec.reason)}"
        )
    await reply(event, fit_lines(lines))
