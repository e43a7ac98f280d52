"""The gate in the admin group: worker pass decisions, ``/open``, ``/log`` with CSV,
``/emergency``, and the buttons on lock-out alerts.

Every action checks the sender's staff role first (``ensure_staff``) and is
audited. Guards and managers open gates and read the log; only managers switch
emergency mode.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, timedelta
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo, community_gates, gate_by_name
from access.log import LogFilter, export_csv, query_log
from access.models import Pass
from access.passes import PassError, approve_worker_pass, reject_worker_pass
from access.service import EmergencyResult
from access.verification import DoorOutcome, Method
from bot.commands import group_command
from bot.context import AppContext
from bot.notify import send_to_person
from core.audit import record_audit
from core.formatting import fmt_short_datetime, local_dt
from core.identity import Identity
from core.models import Community, Person, StaffRole, Unit
from core.units import find_unit_by_label
from handlers.access_common import (
    GateAlertCb,
    fit_lines,
    fmt_days,
    fmt_minutes,
    fmt_weekdays,
    gate_names,
    method_label,
    reason_label,
    runtime_of,
)
from handlers.passes import pass_error_text, send_pass_to_host
from handlers.staff import AdminGroup, ensure_staff, speak_for_group

log = logging.getLogger(__name__)

router = Router(name="gate_staff")
router.message.filter(F.chat.type.in_({"group", "supergroup"}))
router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))

group_command("open", __("Open a gate: /open GATE"), order=40)
group_command("log", __("Gate log: /log [gate | unit | date]"), order=41)
group_command("emergency", __("Emergency: /emergency open | end"), order=42)

OPENERS = (StaffRole.MANAGER, StaffRole.GUARD)
LOG_LIMIT = 30


class WorkerDecisionCb(CallbackData, prefix="wp"):
    action: str
    pass_id: int


class StaffOpenCb(CallbackData, prefix="so"):
    gate_id: int


class LogCsvCb(CallbackData, prefix="lc"):
    kind: str
    value: str


def _category(value: str | None) -> str:
    labels = {
        "renovation": _("Renovation"),
        "housekeeping": _("Housekeeping"),
        "delivery": _("Delivery"),
    }
    return labels.get(value or "", value or "")


def worker_request_card(
    row: Pass,
    community: Community,
    gates: list[GateInfo],
    host: Person | None,
    unit_label: str,
) -> tuple[Callable[[], str], Callable[[], InlineKeyboardMarkup]]:
    """The approval request in the admin group (built in the group's language)."""
    tz = community.timezone

    def text() -> str:
        locale = community.locale
        who = escape(row.holder_name)
        if row.company:
            who += f" · {escape(row.company)}"
        lines = [
            _("👷 Worker pass request #{id}").format(id=row.id),
            _("From: {host} ({unit})").format(
                host=escape(host.full_name if host else ""), unit=escape(unit_label)
            ),
            _("Worker: {who}").format(who=who),
            _("Phone: {phone}").format(phone=escape(row.holder_phone or "")),
            _("Work: {category}").format(
                category=_category(row.category.value if row.category else None)
            ),
            _("Days: {days}").format(days=fmt_days(row.valid_from, row.valid_until, tz, locale)),
            _("Hours: {start}–{end}, {weekdays}").format(
                start=fmt_minutes(row.daily_start_min or 0),
                end=fmt_minutes(row.daily_end_min or 24 * 60),
                weekdays=fmt_weekdays(row.weekdays),
            ),
            _("Gates: {gates}").format(gates=gate_names(gates, row.gate_ids)),
        ]
        return "\n".join(lines)

    def keyboard() -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("✅ Approve"),
                        callback_data=WorkerDecisionCb(action="approve", pass_id=row.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text=_("⛔ Reject"),
                        callback_data=WorkerDecisionCb(action="reject", pass_id=row.id).pack(),
                    ),
                ]
            ]
        )

    return text, keyboard


def _message_text(query: CallbackQuery) -> str:
    message = query.message
    if isinstance(message, Message):
        return message.html_text if message.text else ""
    return ""


async def _edit(query: CallbackQuery, text: str) -> None:
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=None)


@router.callback_query(WorkerDecisionCb.filter(), AdminGroup())
async def worker_decision(
    query: CallbackQuery,
    callback_data: WorkerDecisionCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    action = f"passes.worker_{callback_data.action}"
    if not await ensure_staff(query, app, identity, community, *OPENERS, action=action):
        return
    speak_for_group(app, community)
    assert identity.person_id is not None
    now = app.clock.now()
    staff_name = escape(identity.full_name)
    row = await session.get(Pass, callback_data.pass_id)
    if row is None or row.community_id != community.id:
        await query.answer(_("That request was not found."), show_alert=True)
        return
    host = await session.get(Person, row.host_person_id)
    unit = await session.get(Unit, row.host_unit_id)
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
        elif callback_data.action == "reject":
            issued = None
            await reject_worker_pass(
                session,
                now=now,
                pass_id=row.id,
                community_id=community.id,
                staff_person_id=identity.person_id,
            )
        else:
            await query.answer()
            return
    except PassError as exc:
        texts = {
            "already_decided": _("Someone already decided this request."),
            "expired": _("This request's days are over; it can no longer be approved."),
        }
        await query.answer(texts.get(exc.code, pass_error_text(exc)), show_alert=True)
        if exc.code in ("already_decided", "expired") and isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    await record_audit(
        session,
        action,
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type="pass",
        target_id=row.id,
    )
    await session.commit()
    await session.refresh(row)
    card = _message_text(query)
    if issued is not None:
        await query.answer(_("Approved."))
        await _edit(query, card + "\n\n" + _("✅ Approved by {name}.").format(name=staff_name))
        reached = False
        if host is not None and host.telegram_id is not None:
            delivery = await send_pass_to_host(
                app, host.telegram_id, host.locale, row, issued, community, gates
            )
            reached = delivery.ok
        if not reached:
            await query.message.answer(  # type: ignore[union-attr]
                _(
                    "⚠️ I could not send the code of pass #{id} to the resident{unit} — they may "
                    "have blocked the bot. Please give it to them another way: revoke and "
                    "re-issue after contacting them."
                ).format(id=row.id, unit=f" ({escape(unit.label)})" if unit else "")
            )
    else:
        await query.answer(_("Rejected."))
        await _edit(query, card + "\n\n" + _("⛔ Rejected by {name}.").format(name=staff_name))
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


# --- /open --------------------------------------------------------------------------------


async def _open(
    event: Message | CallbackQuery,
    gate: GateInfo,
    community: Community,
    identity: Identity,
    app: AppContext,
    session: AsyncSession,
) -> None:
    assert identity.person_id is not None
    decision = await runtime_of(app).open_gate(gate.id, identity.person_id, Method.STAFF)
    await record_audit(
        session,
        "access.staff_open",
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type="gate",
        target_id=gate.id,
        allowed=bool(decision and decision.granted),
        details={"reason": decision.reason.value if decision else "gone"},
    )
    name = escape(gate.name)
    if decision is None:
        text = _("That gate no longer exists.")
    elif decision.granted and decision.door == DoorOutcome.FAILED:
        text = _("⚠️ {gate}: the door did not respond. Please open it by hand.").format(gate=name)
    elif decision.granted:
        text = _("🔓 {gate} opened by {staff}.").format(gate=name, staff=escape(identity.full_name))
    else:
        text = _("{gate} was not opened: {reason}.").format(
            gate=name, reason=reason_label(decision.reason.value)
        )
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            await event.message.answer(text)
    else:
        await event.reply(text)


@router.message(Command("open"), AdminGroup())
async def open_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if not await ensure_staff(message, app, identity, community, *OPENERS, action="access.open"):
        return
    speak_for_group(app, community)
    name = (command.args or "").strip()
    if name:
        gate = await gate_by_name(session, community.id, name)
        if gate is not None:
            await _open(message, gate, community, identity, app, session)
            return
    gates = await community_gates(session, community.id)
    if not gates:
        await message.reply(_("This community has no gates yet (`courtyard gate add`)."))
        return
    rows = [
        [InlineKeyboardButton(text=f"🚪 {g.name}", callback_data=StaffOpenCb(gate_id=g.id).pack())]
        for g in gates
    ]
    prompt = (
        _("There is no gate named “{name}”. Which one?").format(name=escape(name))
        if name
        else _("Which gate?")
    )
    await message.reply(prompt, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(StaffOpenCb.filter(), AdminGroup())
async def open_button(
    query: CallbackQuery,
    callback_data: StaffOpenCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if not await ensure_staff(query, app, identity, community, *OPENERS, action="access.open"):
        return
    speak_for_group(app, community)
    gate = next(
        (g for g in await community_gates(session, community.id) if g.id == callback_data.gate_id),
        None,
    )
    if gate is None:
        await query.answer(_("That gate no longer exists."), show_alert=True)
        return
    await _open(query, gate, community, identity, app, session)


# --- lock-out alerts ----------------------------------------------------------------------


@router.callback_query(GateAlertCb.filter(F.action == "clear"), AdminGroup())
async def clear_lockout(
    query: CallbackQuery,
    callback_data: GateAlertCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if not await ensure_staff(
        query, app, identity, community, *OPENERS, action="access.clear_lockout"
    ):
        return
    speak_for_group(app, community)
    gates = await community_gates(session, community.id, active_only=False)
    if not any(g.id == callback_data.gate_id for g in gates):
        await query.answer(_("That gate no longer exists."), show_alert=True)
        return
    await runtime_of(app).reset_throttle(callback_data.gate_id)
    await record_audit(
        session,
        "access.clear_lockout",
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type="gate",
        target_id=callback_data.gate_id,
    )
    await query.answer(_("Lock-out cleared."))
    await _edit(
        query,
        _message_text(query)
        + "\n\n"
        + _("🔓 Cleared by {name}.").format(name=escape(identity.full_name)),
    )


# --- /log -----------------------------------------------------------------------------------


def _parse_day(text: str, today: date) -> date | None:
    lowered = text.strip().lower()
    if lowered in ("today", "今天"):
        return today
    if lowered in ("yesterday", "昨天"):
        return today - timedelta(days=1)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", lowered)
    if match:
        try:
            return date(*(int(x) for x in match.groups()))
        except ValueError:
            return None
    return None


async def _resolve_filter(
    session: AsyncSession, community: Community, text: str, today: date
) -> tuple[LogFilter, str, str] | None:
    """(filter, kind, value) for the CSV button; None when nothing matches."""
    text = text.strip()
    if not text:
        return LogFilter(), "all", ""
    day = _parse_day(text, today)
    if day is not None:
        return LogFilter(day=day), "day", day.isoformat()
    gate = await gate_by_name(session, community.id, text)
    if gate is not None:
        return LogFilter(gate_id=gate.id), "gate", str(gate.id)
    unit = await find_unit_by_label(session, community.id, text)
    if unit is not None:
        return LogFilter(unit_id=unit.id), "unit", str(unit.id)
    return None


def _filter_from_cb(kind: str, value: str) -> LogFilter | None:
    try:
        if kind == "all":
            return LogFilter()
        if kind == "day":
            return LogFilter(day=date.fromisoformat(value))
        if kind == "gate":
            return LogFilter(gate_id=int(value))
        if kind == "unit":
            return LogFilter(unit_id=int(value))
    except ValueError:
        return None
    return None


@router.message(Command("log"), AdminGroup())
async def log_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if not await ensure_staff(message, app, identity, community, *OPENERS, action="access.log"):
        return
    locale = speak_for_group(app, community)
    tz = community.timezone
    today = local_dt(app.clock.now(), tz).date()
    resolved = await _resolve_filter(session, community, command.args or "", today)
    if resolved is None:
        await message.reply(
            _(
                "I don't know “{text}”. Use a gate name, a unit like 3栋-1201, or a date like "
                "2026-11-25 (also: today, yesterday)."
            ).format(text=escape(command.args or ""))
        )
        return
    flt, kind, value = resolved
    rows = await query_log(session, community.id, tz, flt, limit=LOG_LIMIT)
    if not rows:
        await message.reply(_("No gate activity matches."))
        return
    lines = [_("Gate log (latest first):")]
    for r in rows:
        if r.reason == "door_failed":
            mark = "⚠️"
        else:
            mark = "✅" if r.granted else "⛔"
        who = escape(r.holder_name) or "—"
        unit = f" · {escape(r.unit_label)}" if r.unit_label else ""
        lines.append(
            f"{mark} {fmt_short_datetime(r.at, tz, locale)} · {escape(r.gate_name)} · "
            f"{method_label(r.method)} · {who}{unit} · {reason_label(r.reason)}"
        )
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("📄 Export CSV"), callback_data=LogCsvCb(kind=kind, value=value).pack()
                )
            ]
        ]
    )
    await message.reply(fit_lines(lines), reply_markup=keyboard)


@router.callback_query(LogCsvCb.filter(), AdminGroup())
async def log_csv(
    query: CallbackQuery,
    callback_data: LogCsvCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if not await ensure_staff(
        query, app, identity, community, *OPENERS, action="access.log_export"
    ):
        return
    speak_for_group(app, community)
    flt = _filter_from_cb(callback_data.kind, callback_data.value)
    if flt is None:
        await query.answer()
        return
    rows = await query_log(session, community.id, community.timezone, flt, limit=5000)
    await record_audit(
        session,
        "access.log_export",
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        details={"filter": callback_data.kind, "value": callback_data.value, "rows": len(rows)},
    )
    await query.answer()
    stamp = local_dt(app.clock.now(), community.timezone).strftime("%Y%m%d-%H%M")
    if isinstance(query.message, Message):
        await query.message.answer_document(
            BufferedInputFile(export_csv(rows, community.timezone), f"gate-log-{stamp}.csv"),
            caption=_("Gate log: {count} rows.").format(count=len(rows)),
        )


# --- /emergency -------------------------------------------------------------------------------


def _door_report(result: EmergencyResult) -> str:
    failed = [r for r in result.doors if not r.ok]
    if not failed:
        return ""
    names = ", ".join(escape(r.gate.name) for r in failed)
    return "\n" + _("⚠️ These doors did not respond — send someone: {gates}").format(gates=names)


@router.message(Command("emergency"), AdminGroup())
async def emergency(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    arg = (command.args or "").strip().lower()
    if arg not in ("open", "end"):
        await message.reply(
            _(
                "/emergency open — open and hold every gate (evacuation)\n"
                "/emergency end — back to normal"
            )
        )
        return
    action = f"access.emergency_{arg}"
    if not await ensure_staff(message, app, identity, community, StaffRole.MANAGER, action=action):
        return
    locale = speak_for_group(app, community)
    runtime = runtime_of(app)
    if arg == "open":
        result = await runtime.emergency_open(community.id, identity.person_id)
    else:
        result = await runtime.emergency_end(community.id, identity.person_id)
    await record_audit(
        session,
        action,
        community_id=community.id,
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
        target_type="community",
        target_id=community.id,
        details={
            "changed": result.started,
            "failed": [r.gate.id for r in result.doors if not r.ok],
        },
    )
    name = escape(identity.full_name)
    if arg == "open":
        if result.started:
            text = _(
                "🚨 EMERGENCY MODE — every gate of {community} is open and held open "
                "(by {name}). Send /emergency end to restore normal operation."
            ).format(community=escape(community.name), name=name)
        else:
            since = (
                fmt_short_datetime(result.since, community.timezone, locale) if result.since else ""
            )
            text = _(
                "🚨 Emergency mode is already on (since {since}); I sent the open command to "
                "every gate again."
            ).format(since=since)
    elif result.started:
        text = _("✅ Emergency mode ended by {name}; gates are back to normal.").format(name=name)
    else:
        text = _("Emergency mode was not on; I told every gate to return to normal anyway.")
    await message.answer(text + _door_report(result))


__all__ = ["router", "worker_request_card"]
