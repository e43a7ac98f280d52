"""Reading what a resident types when making a pass: a visitor's window ("today",
or ``2026-11-26 09:00 - 18:00``), a worker's days (``2026-11-26 - 2026-12-10``) and
daily hours (``08:30-17:30``), and how long a courier's pass lasts (``90 min``).

Parsing only: whether the result is allowed (how long, how far ahead) is for
:mod:`access.passes` to say. Dates and times are read in the community's time zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_TIME_RE = r"(\d{1,2})[:：](\d{2})"
_DATE_RE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_SEPARATORS = r"\s*(?:-|–|—|~|～|to|至|到)\s*"


def preset_window(preset: str, now: datetime, tz: str) -> tuple[datetime, datetime] | None:
    """The next 2 hours, the rest of today, or all of tomorrow, in the community's day."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), time(0, 0), zone)
    if preset == "2h":
        return now, now + timedelta(hours=2)
    if preset == "today":
        return now, midnight
    if preset == "tomorrow":
        return midnight, datetime.combine(midnight.date() + timedelta(days=1), time(0, 0), zone)
    return None


def parse_window(text: str, tz: str) -> tuple[datetime, datetime] | None:
    """ "2026-11-26 09:00 - 2026-11-27 18:00", or "2026-11-26 09:00 - 18:00" (same day)."""
    zone = ZoneInfo(tz)
    match = re.fullmatch(
        rf"\s*{_DATE_RE}\s*{_TIME_RE}{_SEPARATORS}(?:{_DATE_RE}\s*)?{_TIME_RE}\s*",
        text,
        flags=re.IGNORECASE,
    )
    if match is None:
        return None
    g = match.groups()
    try:
        start = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), tzinfo=zone)
        day = (int(g[5]), int(g[6]), int(g[7])) if g[5] else (int(g[0]), int(g[1]), int(g[2]))
        end = datetime(*day, int(g[8]), int(g[9]), tzinfo=zone)
    except ValueError:
        return None
    return start, end


def parse_dates(text: str) -> tuple[date, date] | None:
    """ "2026-11-26 - 2026-12-10", or one day "2026-11-26"."""
    match = re.fullmatch(
        rf"\s*{_DATE_RE}(?:{_SEPARATORS}{_DATE_RE})?\s*", text, flags=re.IGNORECASE
    )
    if match is None:
        return None
    g = match.groups()
    try:
        first = date(int(g[0]), int(g[1]), int(g[2]))
        last = date(int(g[3]), int(g[4]), int(g[5])) if g[3] else first
    except ValueError:
        return None
    return first, last


def parse_hours(text: str) -> tuple[int, int] | None:
    """ "08:30-17:30" as minutes after midnight; the end may be 24:00."""
    match = re.fullmatch(rf"\s*{_TIME_RE}{_SEPARATORS}{_TIME_RE}\s*", text, flags=re.IGNORECASE)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        return None
    return h1 * 60 + m1, h2 * 60 + m2


_LENGTH_RE = re.compile(
    r"\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*"
    r"(m|min|mins|minutes?|分钟|分|h|hr|hrs|hours?|小时|个小时|钟头)?\s*",
    flags=re.IGNORECASE,
)


def parse_length(text: str) -> timedelta | None:
    """How long a courier's pass lasts: "45 min", "1.5 h", "2小时", or bare minutes ("90")."""
    match = _LENGTH_RE.fullmatch(text)
    if match is None:
        return None
    amount = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "min").lower()
    hours = unit.startswith("h") or unit in ("小时", "个小时", "钟头")
    return timedelta(hours=amount) if hours else timedelta(minutes=amount)
