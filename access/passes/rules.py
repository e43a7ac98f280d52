"""What a pass may be: the limits (visitor window, how far ahead, worker days), the car
plate rule, weekday masks, per-community access settings, and the error every pass
service raises. The chat steps read these names instead of repeating the numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.models import Community

#: The longest a visitor pass may be valid, from its start to its end.
MAX_VISITOR_WINDOW = timedelta(days=7)
#: How far ahead of now a visitor pass may start.
MAX_VISITOR_ADVANCE = timedelta(days=30)
#: The most days (first to last, inclusive) a worker pass may cover.
MAX_WORKER_DAYS = 92
ALL_WEEKDAYS = 0b1111111
MON_TO_SAT = 0b0111111
# A car plate after normalize_plate: a Chinese plate is 7 (沪A12345) or 8 (new energy,
# 沪AD12345) characters; the range leaves room for other plates a gate may see
# (Hong Kong, Macau, military) without letting a sentence through.
PLATE_MIN_LENGTH = 5
PLATE_MAX_LENGTH = 10
PLATE_PATTERN = re.compile(rf"[\u4e00-\u9fffA-Z0-9]{{{PLATE_MIN_LENGTH},{PLATE_MAX_LENGTH}}}")


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


def normalize_plate(raw: str | None) -> str | None:
    """A typed plate without spaces, dots and dashes, upper case; None when empty."""
    if raw is None:
        return None
    plate = re.sub(r"[\s·.-]", "", raw).upper()
    return plate or None


def validate_plate(raw: str | None) -> str | None:
    """The plate as stored (see :func:`normalize_plate`), None for no car; raises
    ``PassError("bad_plate")`` unless it is :data:`PLATE_MIN_LENGTH` to
    :data:`PLATE_MAX_LENGTH` Chinese characters, Latin capitals and digits."""
    plate = normalize_plate(raw)
    if plate is not None and not PLATE_PATTERN.fullmatch(plate):
        raise PassError("bad_plate")
    return plate


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
