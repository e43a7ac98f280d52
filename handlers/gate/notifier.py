"""How the gate module tells people on Telegram (:class:`access.notify.AccessNotifier`).

``access/`` knows nothing of Telegram; the gate runtime calls this notifier and it
turns what happened at a gate into messages:

- a keypad lock-out → the admin group, with a 🔓 Clear the lock-out button
  (``staff_open``);
- a granted entry whose door did not open → the admin group, to let them in by hand;
- a terminal's alarm (door forced, held open, tamper) → the admin group;
- a visitor came in with a pass → its host ("your visitor came in", what is left);
  a courier with a delivery pass → its host, at each entry; daily help came in or
  left → every household keeping the pass (not those who suspended it);
- a visitor's right code met a paused keypad → its host, with a button to open the
  gate for them (``remote_open``'s confirmation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from html import escape
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from access.decision import Decision, Direction, HostRing
from access.gates import GateInfo
from access.lookups import community_by_id, pass_use_notice, person_by_id
from access.models import Pass, PassKind
from access.notify import DoorFailure, GateAlarm
from access.throttle import Lockout
from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from core.formatting import fmt_duration, fmt_time, local_dt
from core.models import Community
from handlers.gate.keyboards import GateAlertCb, PassCb
from handlers.gate.parking_notice import tell_parking_due
from handlers.gate.texts import fmt_end, method_label

log = logging.getLogger(__name__)


class ChatNotifier:
    """Alerts in the admin group, and the host's "your visitor came in"."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def _community(self, community_id: int) -> Community | None:
        async with self.ctx.session_factory() as session:
            return await community_by_id(session, community_id)

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

    async def _group_locale(self, community_id: int) -> str | None:
        community = await self._community(community_id)
        return community.locale if community else None

    async def lockout(self, gate: GateInfo, lockout: Lockout) -> None:
        locale = await self._group_locale(gate.community_id)

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
        locale = await self._group_locale(failure.gate.community_id)

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
        locale = await self._group_locale(alarm.gate.community_id)

        def build() -> str:
            titles = {
                "door_forced": _("🚨 <b>{gate}</b>: door forced open at {time}!"),
                "door_held_open": _("⚠️ <b>{gate}</b>: door held open at {time}."),
                "tamper": _("🚨 <b>{gate}</b>: tamper alarm on the terminal at {time}!"),
                "offline_double_grant": _(
                    "⚠️ <b>{gate}</b>: while offline, the gate agent admitted a single-use "
                    "pass at {time} that had already been used elsewhere."
                ),
            }
            text = titles.get(alarm.type, titles["tamper"]).format(
                gate=escape(alarm.gate.name), time=fmt_time(alarm.at, alarm.gate.timezone, locale)
            )
            if alarm.details:
                text += "\n" + escape(alarm.details)
            return text

        await self._group(alarm.gate.community_id, build)

    async def parking_due(self, gate: GateInfo, decision: Decision) -> None:
        await tell_parking_due(self.ctx, gate, decision)

    async def pass_used(self, gate: GateInfo, decision: Decision) -> None:
        if self.ctx.bot is None or decision.host_person_id is None:
            return
        today = local_dt(decision.at, gate.timezone).date()
        async with self.ctx.session_factory() as session:
            notice = await pass_use_notice(
                session, decision.host_person_id, decision.pass_id, today
            )
        for person in notice.recipients:
            build = partial(_use_text, gate, decision, notice.pass_, person.locale)
            with self.ctx.i18n.context():
                await send_to_person(self.ctx, person, build)

    async def ring_host(self, gate: GateInfo, ring: HostRing) -> None:
        """The keypad is paused after wrong codes, and the visitor's right code met it:
        the host opens from the chat (the existing remote-open confirmation)."""
        if self.ctx.bot is None:
            return
        async with self.ctx.session_factory() as session:
            host = await person_by_id(session, ring.host_person_id)
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
                callback_data=PassCb(action="open_pick", value=str(gate.id)).pack(),
            )
            return InlineKeyboardMarkup(inline_keyboard=[[button]])

        with self.ctx.i18n.context():
            delivery = await send_to_person(self.ctx, host, build, reply_markup=keyboard)
        if not delivery.ok:
            log.warning(
                "host ring not delivered",
                extra={"fields": {"gate": gate.id, "pass": ring.pass_id}},
            )


def _use_text(gate: GateInfo, decision: Decision, row: Pass | None, locale: str | None) -> str:
    """ "Your visitor came in" (or "… left", for daily help), and what is left of the pass."""
    fallback = (
        _("Your courier") if decision.pass_kind == PassKind.DELIVERY.value else _("Your visitor")
    )
    name = escape(decision.holder_name) if decision.holder_name else fallback
    if decision.direction == Direction.OUT:
        template = _("🚶 {name} left through {gate} at {time}.")
    elif decision.reported_late:
        template = _(
            "🚪 {name} came in through {gate} at {time} — reported after the gate reconnected."
        )
    else:
        template = _("🚪 {name} came in through {gate} at {time}.")
    text = template.format(
        name=name, gate=escape(gate.name), time=fmt_time(decision.at, gate.timezone, locale)
    )
    if row is None or decision.direction == Direction.OUT or row.kind == PassKind.DAILY_HELP:
        return text
    if row.max_uses is not None and decision.uses_left == 0:
        return text + "\n" + _("The pass is now used up.")
    return (
        text
        + "\n"
        + _("The pass is valid until {time}.").format(
            time=fmt_end(row.valid_until, gate.timezone, locale)
        )
    )
