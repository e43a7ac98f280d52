"""Reading a time staff type, in the community's time zone.

``2026-12-04 09:00`` is a moment; a window is two of them joined by ``-``, ``–``,
``~``, ``至`` or ``to``, the second possibly only ``HH:MM`` (the same day).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

#: How long a notice, a closed vote or a closed survey stays on a resident's list.
ON_THE_LIST = timedelta(days=30)

_MOMENT = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s+(\d{1,2})[:：](\d{2})\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")
_JOIN = re.compile(r"\s*(?:–|—|~|～|至|到|\bto\b|\s-\s|-(?=\s*\d{1,2}[:：]\d{2}\s*$))\s*")


def parse_moment(text: str, tz: str) -> datetime | None:
    found = _MOMENT.match(text)
    if found is None:
        return None
    year, month, day, hour, minute = (int(g) for g in found.groups())
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))
    except ValueError:
        return None
    return local.astimezone(UTC)


def future_moment(text: str, tz: str, now: datetime, latest: timedelta) -> datetime | None:
    """A typed moment that is after ``now`` and at most ``latest`` ahead, else None."""
    moment = parse_moment(text, tz)
    if moment is None or not now < moment <= now + latest:
        return None
    return moment


def parse_window(text: str, tz: str) -> tuple[datetime, datetime] | None:
    """The start and end of ``text``; None when it is not a window that ends after
    it starts."""
    parts = _JOIN.split(text.strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    start = parse_moment(parts[0], tz)
    if start is None:
        return None
    end = parse_moment(parts[1], tz)
    clock = _CLOCK.match(parts[1])
    if end is None and clock is not None:
        local = start.astimezone(ZoneInfo(tz))
        try:
            end = local.replace(hour=int(clock.group(1)), minute=int(clock.group(2))).astimezone(
                UTC
            )
        except ValueError:
            return None
    if end is None or end <= start:
        return None
    return start, end
