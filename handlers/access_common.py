"""What the chat side of the gate module shares: the runtime, labels, QR images,
the staff/host notifier, the gate API service and the periodic jobs.

``access/`` knows nothing of Telegram; :class:`BotAccessNotifier` is its
:class:`access.notify.AccessNotifier`, turning lock-outs, door failures, terminal
alarms and pass uses into messages in the admin group and to hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from typing import Any

import segno
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from access.api import serve
from access.gates import GateInfo
from access.models import Pass
from access.notify import DoorFailure, GateAlarm
from access.passes import claim_overstays, expire_passes
from access.service import AccessRuntime
from access.throttle import Lockout
from access.verification import Decision, HostRing
from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from core.formatting import fmt_date, fmt_duration, fmt_short_datetime, fmt_time, local_dt
from core.models import Community, Person
from core.scheduler import Scheduler

log = logging.getLogger(__name__)

EXTRAS_KEY = "access"


class GateAlertCb(CallbackData, prefix="ga"):
    action: str
    gate_id: int


def runtime_of(ctx: AppContext) -> AccessRuntime:
    """The process's gate runtime (doors, decisions), created on first use."""
    runtime = ctx.extras.get(EXTRAS_KEY)
    if runtime is None:
        runtime = AccessRuntime(
            database_url=ctx.settings.database_url,
            secret_key=ctx.secret_key,
            clock=ctx.clock,
            notifier=BotAccessNotifier(ctx),
        )
        ctx.extras[EXTRAS_KEY] = runtime
    return runtime


# --- labels ------------------------------------------------------------------------------


def reason_label(reason: str) -> str:
    labels = {
        "ok": _("entered"),
        "remote": _("opened from the chat"),
        "staff": _("opened by staff"),
        "resident": _("resident (face)"),
        "emergency": _("emergency mode (doors open)"),
        "exit": _("left"),
        "door_failed": _("granted, door failed"),
        "unknown": _("unknown code"),
        "revoked": _("revoked pass"),
        "expired": _("expired pass"),
        "not_yet_valid": _("pass not valid yet"),
        "wrong_gate": _("wrong gate"),
        "outside_hours": _("outside allowed hours"),
        "used": _("pass already used"),
        "locked_out": _("keypad locked (too many wrong codes)"),
        "gate_disabled": _("gate disabled"),
        "not_allowed": _("not allowed"),
        "rate_limited": _("too many openings"),
        "face_unusable": _("face not clear enough"),
        "no_match": _("face not recognised"),
        "ambiguous": _("face not told apart"),
        "use_code": _("face paused (too many tries)"),
    }
    return labels.get(reason, reason)


def method_label(method: str) -> str:
    labels = {
        "code": _("code"),
        "qr": _("QR"),
        "remote": _("remote"),
        "staff": _("staff"),
        "face": _("face"),
    }
    return labels.get(method, method)


def weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def fmt_weekdays(mask: int | None) -> str:
    if mask is None or mask == 0b1111111:
        return _("every day")
    names = weekday_names()
    days = [names[d] for d in range(7) if (mask >> d) & 1]
    if mask == 0b0111111:
        return _("Mon–Sat")
    if mask == 0b0011111:
        return _("Mon–Fri")
    return ", ".join(days)


def fmt_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def fmt_window(start: datetime, end: datetime, tz: str, locale: str | None) -> str:
    """ "Nov 25, 2026 14:00 – 16:00" or across days "Nov 25 14:00 – Nov 26 18:00"."""
    same_day = local_dt(start, tz).date() == local_dt(end - timedelta(microseconds=1), tz).date()
    if same_day:
        # A window to the end of the day ("today", "tomorrow") ends at 24:00, not 00:00.
        local_end = local_dt(end, tz)
        at_midnight = (local_end.hour, local_end.minute, local_end.second) == (0, 0, 0)
        end_text = "24:00" if at_midnight else fmt_time(end, tz, locale)
        return f"{fmt_short_datetime(start, tz, locale)} – {end_text}"
    return f"{fmt_short_datetime(start, tz, locale)} – {fmt_short_datetime(end, tz, locale)}"


def fmt_days(start: datetime, end: datetime, tz: str, locale: str | None) -> str:
    first = local_dt(start, tz).date()
    last = local_dt(end - timedelta(microseconds=1), tz).date()
    if first == last:
        return fmt_date(first, locale)
    return f"{fmt_date(first, locale)} – {fmt_date(last, locale)}"


def gate_names(gates: list[GateInfo], ids: list[int]) -> str:
    if not ids:
        return _("all gates")
    names = [g.name for g in gates if g.id in ids]
    return ", ".join(escape(n) for n in names) or _("all gates")


def qr_png(token: str) -> bytes:
    """The QR code a reader scans: the pass token only, nothing else."""
    buffer = io.BytesIO()
    segno.make(token, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def fit_lines(lines: list[str], limit: int = 3900) -> str:
    """Join as many lines as fit in one Telegram message (4096 characters)."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def format_code(code: str) -> str:
    """8 digits as ``1234 5678``, easier to read out at a keypad."""
    return f"{code[:4]} {code[4:]}"


# --- the notifier --------------------------------------------------------------------------


class BotAccessNotifier:
    """Alerts in the admin group, and the host's "your visitor came in"."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def _community(self, community_id: int) -> Community | None:
        async with self.ctx.session_factory() as session:
            return await session.get(Community, community_id)

    async def _group(self, community_id: int, build: Callable[[], str], **kwargs: Any) -> None:
        if self.ctx.bot is None:
            return
        community = await self._community(community_id)
        if community is None:
            return
        with self.ctx.i18n.context():
            delivery = await send_to_admin_group(self.ctx, community, build, **kwargs)
        if not delivery.ok:
            log.warning(
                "access alert not delivered",
                extra={"fields": {"community": community_id, "reason": delivery.reason}},
            )

    async def lockout(self, gate: GateInfo, lockout: Lockout) -> None:
        community = await self._community(gate.community_id)
        locale = community.locale if community else None

        def build() -> str:
            return _(
                "⚠️ <b>{gate}</b>: {count} wrong codes — the keypad is locked for {duration} "
                "(until {time}). Someone may be guessing codes; please check the gate."
            ).format(
                gate=escape(gate.name),
                count=lockout.failures,
                duration=fmt_duration(timedelta(seconds=lockout.seconds), locale),
                time=fmt_time(lockout.until, gate.timezone, locale),
            )

        def keyboard() -> InlineKeyboardMarkup:
            return InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("🔓 Clear the lock-out"),
                            callback_data=GateAlertCb(action="clear", gate_id=gate.id).pack(),
                        )
                    ]
                ]
            )

        await self._group(gate.community_id, build, reply_markup=keyboard)

    async def door_failed(self, failure: DoorFailure) -> None:
        d = failure.decision
        community = await self._community(failure.gate.community_id)
        locale = community.locale if community else None

        def build() -> str:
            who = escape(d.holder_name) if d.holder_name else _("someone")
            return _(
                "🚨 <b>{gate}</b>: access was granted to {who} ({method}) at {time}, "
                "but the door did not open: {error}\nPlease let them in by hand and check "
                "the relay."
            ).format(
                gate=escape(failure.gate.name),
                who=who,
                method=method_label(d.method.value),
                time=fmt_time(d.at, failure.gate.timezone, locale),
                error=escape(failure.error[:200]),
            )

        await self._group(failure.gate.community_id, build)

    async def gate_alarm(self, alarm: GateAlarm) -> None:
        community = await self._community(alarm.gate.community_id)
        locale = community.locale if community else None

        def build() -> str:
            titles = {
                "door_forced": _("🚨 <b>{gate}</b>: door forced open at {time}!"),
                "door_held_open": _("⚠️ <b>{gate}</b>: door held open at {time}."),
                "tamper": _("🚨 <b>{gate}</b>: tamper alarm on the terminal at {time}!"),
            }
            text = titles.get(alarm.type, titles["tamper"]).format(
                gate=escape(alarm.gate.name), time=fmt_time(alarm.at, alarm.gate.timezone, locale)
            )
            if alarm.details:
                text += "\n" + escape(alarm.details)
            return text

        await self._group(alarm.gate.community_id, build)

    async def pass_used(self, gate: GateInfo, decision: Decision) -> None:
        if self.ctx.bot is None or decision.host_person_id is None:
            return
        async with self.ctx.session_factory() as session:
            host = await session.get(Person, decision.host_person_id)
            row = await session.get(Pass, decision.pass_id) if decision.pass_id else None
        if host is None:
            return

        def build() -> str:
            locale = host.locale
            name = escape(decision.holder_name) if decision.holder_name else _("Your visitor")
            text = _("🚪 {name} came in through {gate} at {time}.").format(
                name=name,
                gate=escape(gate.name),
                time=fmt_time(decision.at, gate.timezone, locale),
            )
            if row is not None and row.max_uses is not None and decision.uses_left == 0:
                text += "\n" + _("The pass is now used up.")
            elif row is not None:
                text += "\n" + _("The pass is valid until {time}.").format(
                    time=fmt_short_datetime(row.valid_until, gate.timezone, locale)
                )
            return text

        with self.ctx.i18n.context():
            await send_to_person(self.ctx, host, build)

    async def ring_host(self, gate: GateInfo, ring: HostRing) -> None:
        """The keypad is paused after wrong codes, and the visitor's right code met it:
        the host opens from the chat (the existing remote-open confirmation)."""
        if self.ctx.bot is None:
            return
        async with self.ctx.session_factory() as session:
            host = await session.get(Person, ring.host_person_id)
        if host is None:
            return

        def build() -> str:
            name = escape(ring.holder_name) if ring.holder_name else _("Your visitor")
            return _(
                "🔔 {name} entered the code of their pass at {gate}, but the keypad there "
                "is paused after too many wrong codes. If you are expecting them, you can "
                "open the gate for them now. They can also show the QR code of the pass."
            ).format(name=name, gate=escape(gate.name))

        def keyboard() -> InlineKeyboardMarkup:
            # The same confirmation step as "Open the gate" in the menu: the host
            # confirms once more, and the decision is logged as their remote opening.
            button = InlineKeyboardButton(
                text=_("🚪 Open {gate}").format(gate=gate.name),
                callback_data=f"ps:open_pick:{gate.id}",
            )
            return InlineKeyboardMarkup(inline_keyboard=[[button]])

        with self.ctx.i18n.context():
            delivery = await send_to_person(self.ctx, host, build, reply_markup=keyboard)
        if not delivery.ok:
            log.warning(
                "host ring not delivered",
                extra={"fields": {"gate": gate.id, "pass": ring.pass_id}},
            )


# --- the service and the jobs -------------------------------------------------------------


async def gate_api_service(ctx: AppContext) -> None:
    """The gate terminal API on settings.gate_api_host:port, until cancelled."""
    runtime = runtime_of(ctx)
    host, port = ctx.settings.gate_api_host, ctx.settings.gate_api_port
    try:
        runner = await serve(runtime, host, port)
    except OSError as exc:
        # Another process (a second webhook worker, `courtyard gate-api`) may serve it.
        log.error(
            "gate API could not listen",
            extra={"fields": {"host": host, "port": port, "error": str(exc)}},
        )
        return
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()


async def expire_job(ctx: AppContext) -> int:
    async with ctx.session_factory() as session:
        count = await expire_passes(session, ctx.clock.now())
        await session.commit()
    return count


async def overstay_job(ctx: AppContext) -> int:
    """Tell hosts whose visitor entered and was not recorded leaving after the window."""
    now = ctx.clock.now()
    async with ctx.session_factory() as session:
        claimed = await claim_overstays(session, now)
        await session.commit()
        if ctx.bot is None:
            return len(claimed)
        for row in claimed:
            host = await session.get(Person, row.host_person_id)
            community = await session.get(Community, row.community_id)
            if host is None or community is None:
                continue
            tz = community.timezone

            def build(row: Pass = row, tz: str = tz, host: Person = host) -> str:
                name = escape(row.holder_name) if row.holder_name else _("Your visitor")
                entered = row.last_entry_at or row.valid_from
                return _(
                    "⏰ {name} came in at {entered} and has not been recorded leaving; "
                    "their pass ended at {until}."
                ).format(
                    name=name,
                    entered=fmt_short_datetime(entered, tz, host.locale),
                    until=fmt_short_datetime(row.valid_until, tz, host.locale),
                )

            with ctx.i18n.context():
                await send_to_person(ctx, host, build)
    return len(claimed)


def register_access_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("access.expire", lambda: expire_job(ctx), 60)
    scheduler.add_periodic("access.overstay", lambda: overstay_job(ctx), 60)
