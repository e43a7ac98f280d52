"""Words and formats the gate's chat flows share: decision reasons and methods,
windows, days and hours, gate lists, codes, work categories, and what each
:class:`access.passes.PassError` means to the person who caused it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import GateInfo
from access.models import WorkerCategory
from access.passes import MAX_VISITOR_ADVANCE, MAX_VISITOR_WINDOW, MAX_WORKER_DAYS, PassError
from access.passes.rules import MAX_DELIVERY_WINDOW, MIN_DELIVERY_WINDOW, RENEW_WINDOW
from access.reason_texts import REASON_TEXTS
from access.sync.admin import DEFAULT_SYNC_INTERVAL_S, community_has_agents
from core.formatting import fmt_date, fmt_short_datetime, fmt_time, local_dt


async def offline_gates_note(session: AsyncSession, community_id: int) -> str:
    """How soon offline gate agents hear of a revocation ("" when there are none)."""
    if not await community_has_agents(session, community_id):
        return ""
    return "\n" + _(
        "Gates that keep working offline learn of it within {seconds} seconds; one cut "
        "off from the server right now, when it reconnects."
    ).format(seconds=DEFAULT_SYNC_INTERVAL_S)


def reason_label(reason: str) -> str:
    """A decision's reason in words (``access.reason_texts``, the sandbox's too)."""
    text = REASON_TEXTS.get(reason)
    return _(text) if text is not None else reason


def method_label(method: str) -> str:
    labels = {
        "code": _("code"),
        "qr": _("QR"),
        "remote": _("remote"),
        "staff": _("staff"),
        "face": _("face"),
        "walkin": _("walk-in"),
        "call": _("intercom"),
        "plate": _("plate"),
    }
    return labels.get(method, method)


def category_labels() -> dict[str, str]:
    return {
        WorkerCategory.RENOVATION.value: _("Renovation"),
        WorkerCategory.HOUSEKEEPING.value: _("Housekeeping"),
        WorkerCategory.DELIVERY.value: _("Delivery"),
    }


def category_label(value: str | None) -> str:
    return category_labels().get(value or "", value or "")


def kind_label(kind: str) -> str:
    """A pass's kind as staff read it in lists (who is inside)."""
    labels = {
        "visitor": _("🎫 Visitor"),
        "worker": _("👷 Worker"),
        "delivery": _("📦 Courier"),
        "daily_help": _("🧹 Daily help"),
    }
    return labels.get(kind, kind)


def help_role_labels() -> dict[str, str]:
    return {"nanny": _("Nanny"), "cleaner": _("Cleaner"), "driver": _("Driver")}


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


def fmt_hours(start_min: int | None, end_min: int | None, weekdays: int | None) -> str:
    """ "Hours: 08:00–18:00, Mon–Sat" of a worker pass (no hours: the whole day)."""
    return _("Hours: {start}–{end}, {weekdays}").format(
        start=fmt_minutes(start_min or 0),
        end=fmt_minutes(end_min or 24 * 60),
        weekdays=fmt_weekdays(weekdays),
    )


def fmt_end(end: datetime, tz: str, locale: str | None, *, same_day: bool = False) -> str:
    """When a pass ends, everywhere it is shown: an end at midnight is 24:00 of the
    day before ("Nov 25, 2026 24:00", never "Nov 26, 2026 00:00"); ``same_day``
    leaves the date out (the window's start says it)."""
    local_end = local_dt(end, tz)
    if (local_end.hour, local_end.minute, local_end.second, local_end.microsecond) != (0,) * 4:
        return fmt_time(end, tz, locale) if same_day else fmt_short_datetime(end, tz, locale)
    if same_day:
        return "24:00"
    return f"{fmt_date((local_end - timedelta(days=1)).date(), locale)} 24:00"


def fmt_window(start: datetime, end: datetime, tz: str, locale: str | None) -> str:
    """ "Nov 25, 2026 14:00 – 16:00" or across days "Nov 25 14:00 – Nov 26 18:00"."""
    same_day = local_dt(start, tz).date() == local_dt(end - timedelta(microseconds=1), tz).date()
    end_text = fmt_end(end, tz, locale, same_day=same_day)
    return f"{fmt_short_datetime(start, tz, locale)} – {end_text}"


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


def format_code(code: str) -> str:
    """8 digits as ``1234 5678``, easier to read out at a keypad."""
    return f"{code[:4]} {code[4:]}"


def for_residents_only() -> str:
    return _("This is for residents. Join your home first from the menu: /start")


def home_gone() -> str:
    return _("That home is no longer available. Nothing was saved.")


def pass_error_text(exc: PassError) -> str:
    texts = {
        "not_resident": _("You are not a resident of that home any more."),
        "no_gates": _("Your community has no gates set up yet."),
        "bad_gate": _("One of the chosen gates no longer exists. Please start again."),
        "bad_window": _("The window is not valid. Please choose it again."),
        "window_too_long": _("A visitor pass can last at most {days} days.").format(
            days=MAX_VISITOR_WINDOW.days
        ),
        "too_far_ahead": _("Passes can be made at most {days} days ahead.").format(
            days=MAX_VISITOR_ADVANCE.days
        ),
        "no_purpose": _("Please give a purpose."),
        "bad_plate": _("That is not a Chinese plate number (like 沪A12345)."),
        "no_free_code": _("Could not make a code just now. Please try again."),
        "bad_phone": _("That phone number does not look right."),
        "starts_in_past": _("The first day cannot be in the past."),
        "bad_range": _("The last day must not be before the first day."),
        "range_too_long": _("A worker pass can cover at most {days} days.").format(
            days=MAX_WORKER_DAYS
        ),
        "bad_hours": _("The daily hours are not valid."),
        "bad_weekday": _("Choose at least one weekday."),
        "no_name": _("Please give the worker's name."),
        "not_active": _("That pass is no longer active."),
        "not_found": _("That pass was not found."),
        "bad_delivery_window": _(
            "A delivery pass lasts from {low} to {high} minutes. Please choose again."
        ).format(low=MIN_DELIVERY_WINDOW.seconds // 60, high=MAX_DELIVERY_WINDOW.seconds // 60),
        "bad_role": _("Please choose nanny, cleaner or driver with the buttons."),
        "invite_unknown": _(
            "This invitation is not valid any more (it was used, or the pass ended). Please "
            "ask the household for a new one."
        ),
        "invite_expired": _("This invitation has expired. Please ask the household for a new one."),
        "other_community": _("That pass is for another community."),
        "already_joined": _("Your household already shares this pass."),
        "already_suspended": _("It is already suspended for your household."),
        "not_suspended": _("It is not suspended for your household."),
        "not_renewable_yet": _(
            "A daily-help pass can be renewed in its last {days} days; this one runs longer "
            "(it may just have been renewed)."
        ).format(days=RENEW_WINDOW.days),
    }
    return texts.get(exc.code, _("That did not work. Please try again."))
