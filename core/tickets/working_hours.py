"""Time counted in the office's working hours (a normal ticket's "taken" window).

An office works ``start``–``end`` o'clock every day in the community's time zone
(property offices are open at weekends). Four working hours from 17:00 end at 12:00
the next day; from 02:00, at 13:00.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_HOURS = (9, 18)


def add_working_time(
    start: datetime, span: timedelta, tz: str, hours: tuple[int, int] = DEFAULT_HOURS
) -> datetime:
    """``start`` plus ``span`` of working time; an aware UTC datetime."""
    zone = ZoneInfo(tz)
    opens, closes = time(hours[0]), time(hours[1])
    moment = start.astimezone(zone)
    left = span
    for _ in range(3660):  # a span of up to ten years of working days
        day_open = datetime.combine(moment.date(), opens, zone)
        day_close = datetime.combine(moment.date(), closes, zone)
        if moment < day_open:
            moment = day_open
        if moment >= day_close:
            moment = datetime.combine(moment.date() + timedelta(days=1), opens, zone)
            continue
        room = day_close - moment
        if left <= room:
            return (moment + left).astimezone(start.tzinfo)
        left -= room
        moment = datetime.combine(moment.date() + timedelta(days=1), opens, zone)
    return start + span  # unreachable for sane spans
