"""Temporary parking: the community's tariff and what a stay costs.

The tariff is part of the community's fee schedule, kept in ``Community.config["parking"]``
(set by staff with ``/parkingfees``, read by :meth:`ParkingTariff.of`); money is in
integer minor units (分)::

    {"free_min": 30,
     "hourly": {"small": 500, "large": 1000, "new_energy": 300},
     "daily_cap": {"small": 3000, "large": 6000, "new_energy": 2000}}

A stay costs nothing up to ``free_min`` minutes. Past that, every started hour from the
entry costs its class's hourly rate, counted on the local calendar day (the community's
time zone) on which that hour starts, and each day's sum is capped at the class's daily
cap (0: no cap). So 22:30 to 01:10 is two hours on the first day and one on the second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from access.plates import VehicleClass
from core.fees.common import FeeError, parse_money
from core.models import Community

MAX_FREE_MIN = 24 * 60
#: The most a tariff figure may be (¥100,000 in 分): a typo, not a price.
MAX_MINOR = 10_000_000
HOUR = timedelta(hours=1)


class TariffError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParkingTariff:
    free_min: int
    hourly: dict[str, int]
    daily_cap: dict[str, int]

    @classmethod
    def of(cls, config: dict[str, Any] | None) -> ParkingTariff | None:
        """The tariff in a community's config, or None when it bills no parking;
        ``bad_tariff`` when what is stored is not a tariff."""
        raw = (config or {}).get("parking")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise TariffError("bad_tariff")
        tariff = cls(
            free_min=_figure(raw.get("free_min", 0), MAX_FREE_MIN),
            hourly=_by_class(raw.get("hourly")),
            daily_cap=_by_class(raw.get("daily_cap", {})),
        )
        return tariff

    def to_config(self) -> dict[str, Any]:
        return {"free_min": self.free_min, "hourly": self.hourly, "daily_cap": self.daily_cap}


def _figure(value: Any, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise TariffError("bad_tariff")
    return value


def _by_class(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict) or set(raw) - {c.value for c in VehicleClass}:
        raise TariffError("bad_tariff")
    return {c.value: _figure(raw.get(c.value, 0), MAX_MINOR) for c in VehicleClass}


def parking_fee(
    tariff: ParkingTariff, klass: str, entered: datetime, left: datetime, timezone: str
) -> int:
    """What a stay from ``entered`` to ``left`` costs, in minor units (see the module)."""
    stay = left - entered
    if stay <= timedelta(minutes=tariff.free_min):
        return 0
    rate, cap = tariff.hourly.get(klass, 0), tariff.daily_cap.get(klass, 0)
    zone = ZoneInfo(timezone)
    per_day: dict[date, int] = {}
    for hour in range(math.ceil(stay / HOUR)):
        day = (entered + hour * HOUR).astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + rate
    return sum(min(total, cap) if cap else total for total in per_day.values())


def stay_due(
    tariff: ParkingTariff,
    *,
    klass: str,
    entered: datetime,
    paid_minor: int,
    paid_at: datetime | None,
    now: datetime,
    timezone: str,
    grace: timedelta,
) -> int:
    """What a stay still owes now: its fee so far, less what was paid; within
    ``grace`` after a payment the fee stops at the payment (time to drive out)."""
    until = paid_at if paid_at is not None and now - paid_at <= grace else now
    return max(0, parking_fee(tariff, klass, entered, until, timezone) - paid_minor)


def read_tariff(text: str) -> ParkingTariff | None:
    """What staff type after ``/parkingfees``: ``free=30 small=5/30 large=10/60
    new_energy=3/20`` (minutes free; per class the hourly rate and the daily cap, in
    yuan; a cap of 0 is none), or ``off`` (None: no temporary parking billed).
    Raises ``bad_tariff``."""
    words = text.split()
    if words == ["off"]:
        return None
    free, hourly, caps = None, {}, {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise TariffError("bad_tariff")
        if key == "free" and value.isdigit():
            free = int(value)
        elif key in {c.value for c in VehicleClass}:
            rate, _slash, cap = value.partition("/")
            try:
                hourly[key], caps[key] = parse_money(rate), parse_money(cap or "0")
            except FeeError:
                raise TariffError("bad_tariff") from None
        else:
            raise TariffError("bad_tariff")
    if free is None or not hourly:
        raise TariffError("bad_tariff")
    tariff = ParkingTariff.of({"parking": {"free_min": free, "hourly": hourly, "daily_cap": caps}})
    assert tariff is not None
    return tariff


async def set_tariff(
    session: AsyncSession, community: Community, tariff: ParkingTariff | None
) -> None:
    """Store the tariff in the community's fee settings (None: stop billing)."""
    config = dict(community.config or {})
    if tariff is None:
        config.pop("parking", None)
    else:
        config["parking"] = tariff.to_config()
    community.config = config
    await session.flush()
