"""What a pass may be: the limits (visitor window, how far ahead, worker days), the car
plate rule (from :mod:`access.plates`), weekday masks, per-community access settings,
and the error every pass service raises. The chat steps read these names instead of
repeating the numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The car plate rule lives in access.plates (one rule for passes, registered vehicles
# and the gate's plate reader); re-exported here for the pass services.
from access.plates import normalize_plate as normalize_plate
from access.plates import valid_plate as valid_plate
from core.models import Community

#: The longest a visitor pass may be valid, from its start to its end.
MAX_VISITOR_WINDOW = timedelta(days=7)
#: How far ahead of now a visitor pass may start.
MAX_VISITOR_ADVANCE = timedelta(days=30)
#: The most days (first to last, inclusive) a worker pass may cover.
MAX_WORKER_DAYS = 92
#: A delivery pass (a courier's PIN) lasts this long at least and at most, from now.
MIN_DELIVERY_WINDOW = timedelta(minutes=30)
MAX_DELIVERY_WINDOW = timedelta(hours=4)
#: A daily-help pass runs this long from its making (then a household makes it again);
#: until then it lives while one of its households keeps it (decision 0031).
DAILY_HELP_SPAN = timedelta(days=365)
#: Its households are reminded this long before it ends, and may renew it (for another
#: span, from its end) in the last RENEW_WINDOW of it (access.passes.renewal).
RENEW_REMIND_BEFORE = timedelta(days=14)
RENEW_WINDOW = timedelta(days=30)
#: How long an invitation to share a daily-help pass may wait to be accepted.
HOUSEHOLD_INVITE_TTL = timedelta(days=2)
ALL_WEEKDAYS = 0b1111111
MON_TO_SAT = 0b0111111
_PHONE_RE = re.compile(r"\+?\d{5,20}")
#: The most characters kept of what a resident types about their visitor or worker:
#: the name (shown to the guard), the purpose of a visit, the worker's company.
NAME_MAX_LEN = 60
PURPOSE_MAX_LEN = 200
COMPANY_MAX_LEN = 120


class PassError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class AccessSettings:
    """Per-community settings, from ``Community.config["access"]``."""

    overstay_alert: bool = True
    overstay_grace_min: int = 30

    @classmethod
    def of(cls, community: Community) -> AccessSettings:
        raw = (community.config or {}).get("access") or {}
        return cls(
            overstay_alert=bool(raw.get("overstay_alert", True)),
            overstay_grace_min=int(raw.get("overstay_grace_min", 30)),
        )


def clean_phone(raw: str) -> str | None:
    """A phone number without spaces, dashes and brackets, or None when it is not one."""
    phone = re.sub(r"[\s()-]", "", raw)
    return phone if _PHONE_RE.fullmatch(phone) else None


def check_visitor_window(valid_from: datetime, valid_until: datetime, now: datetime) -> datetime:
    """The start a visitor pass with this window gets (never before ``now``).

    Raises ``bad_window`` (with ``over=True`` when the window has already ended),
    ``window_too_long`` (over :data:`MAX_VISITOR_WINDOW`) or ``too_far_ahead`` (starts
    more than :data:`MAX_VISITOR_ADVANCE` from now).
    """
    start = max(valid_from, now)
    if valid_until <= start:
        raise PassError("bad_window", over=valid_from < valid_until)
    if valid_until - start > MAX_VISITOR_WINDOW:
        raise PassError("window_too_long")
    if start - now > MAX_VISITOR_ADVANCE:
        raise PassError("too_far_ahead")
    return start


def check_delivery_window(length: timedelta) -> None:
    """Raises ``bad_delivery_window`` unless a courier's pass lasts from
    :data:`MIN_DELIVERY_WINDOW` to :data:`MAX_DELIVERY_WINDOW`."""
    if not MIN_DELIVERY_WINDOW <= length <= MAX_DELIVERY_WINDOW:
        raise PassError("bad_delivery_window")


def check_worker_days(first_day: date, last_day: date, today: date) -> None:
    """Raises ``starts_in_past``, ``bad_range`` or ``range_too_long`` (over
    :data:`MAX_WORKER_DAYS`) for days a worker pass may not cover."""
    if first_day < today:
        raise PassError("starts_in_past")
    if last_day < first_day:
        raise PassError("bad_range")
    if (last_day - first_day).days + 1 > MAX_WORKER_DAYS:
        raise PassError("range_too_long")


def check_worker_hours(start_min: int, end_min: int) -> None:
    """Raises ``bad_hours`` unless the daily hours start before they end, within a day."""
    if not 0 <= start_min < end_min <= 24 * 60:
        raise PassError("bad_hours")


def weekdays_mask(days: list[int]) -> int:
    """Monday = 0 … Sunday = 6 to the bit mask stored on worker passes."""
    mask = 0
    for d in days:
        if not 0 <= d <= 6:
            raise PassError("bad_weekday")
        mask |= 1 << d
    return mask


def mask_weekdays(mask: int | None) -> list[int]:
    if mask is None:
        return list(range(7))
    return [d for d in range(7) if (mask >> d) & 1]


def local_day_bounds(first_day: date, last_day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(first_day, time(0, 0), zone)
    end = datetime.combine(last_day + timedelta(days=1), time(0, 0), zone)
    return start, end
