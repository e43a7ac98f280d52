"""Words and buttons the walk-in flows share: the ringing message and the outcomes."""

from __future__ import annotations

from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.utils.i18n import gettext as _

from access.walkins.models import CallKind, CallStatus
from access.walkins.views import CallView
from core.formatting import fmt_time


class WalkinCb(CallbackData, prefix="wk"):
    action: str  # in, no, mute, unmute
    call_id: int


def who_is_there(call: CallView, seconds: int) -> str:
    """The ringing message: who is at which gate for which unit, and the time to answer."""
    return (
        call_header(call)
        + "\n"
        + _("Let them in? Please answer within {seconds} seconds.").format(seconds=seconds)
    )


def call_header(call: CallView) -> str:
    """Who is at which gate for which unit (and why)."""
    where = {"gate": escape(call.gate_name), "unit": escape(call.unit_label)}
    if call.kind == CallKind.CALL.value:
        text = _("🔔 Someone at <b>{gate}</b> is calling {unit} on the intercom.").format(**where)
    else:
        text = _("🔔 <b>{name}</b> is at <b>{gate}</b> asking for {unit}.").format(
            name=escape(call.visitor_name), **where
        )
        if call.purpose:
            text += "\n" + _("Purpose: {purpose}").format(purpose=escape(call.purpose))
    return text


def outcome_line(call: CallView, locale: str | None) -> str:
    """What became of the call, naming who decided (for the household and the guard)."""
    name = escape(call.decided_by_name) or _("A resident")
    at = fmt_time(call.decided_at or call.created_at, call.timezone, locale)
    if call.status == CallStatus.LET_IN.value:
        return _("✅ {name} let them in at {time}.").format(name=name, time=at)
    if call.status == CallStatus.REFUSED.value:
        return _("✖️ {name} refused at {time}.").format(name=name, time=at)
    if call.status == CallStatus.NO_ANSWER.value:
        return _("⌛ Nobody answered in time; the guards were told.")
    if call.status == CallStatus.NO_RESIDENTS.value:
        return _("Nobody lives in {unit} in Courtyard; the guards were told.").format(
            unit=escape(call.unit_label)
        )
    if call.status == CallStatus.MUTED.value:
        return _("The household of {unit} is not taking gate calls now.").format(
            unit=escape(call.unit_label)
        )
    return _("Ringing {unit}…").format(unit=escape(call.unit_label))
