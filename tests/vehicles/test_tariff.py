"""Temporary parking arithmetic (access.vehicles.tariff): free minutes, started hours,
the daily cap per local day across midnight, per class; the tariff's validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from access.vehicles.tariff import ParkingTariff, TariffError, parking_fee, read_tariff

TARIFF = ParkingTariff.of(
    {
        "parking": {
            "free_min": 30,
            "hourly": {"small": 500, "large": 1000, "new_energy": 300},
            "daily_cap": {"small": 3000, "large": 0, "new_energy": 2000},
        }
    }
)
SHANGHAI = "Asia/Shanghai"
# 22:30 in Shanghai.
EVENING = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)


def fee(minutes: int, klass: str = "small", start: datetime = EVENING, tz: str = SHANGHAI) -> int:
    assert TARIFF is not None
    return parking_fee(TARIFF, klass, start, start + timedelta(minutes=minutes), tz)


def test_free_minutes_then_every_started_hour() -> None:
    assert fee(0) == fee(30) == 0
    assert fee(31) == 500  # past the free time, the first hour counts whole
    assert fee(60) == 500
    assert fee(61) == 1000
    assert fee(61, "large") == 2000
    assert fee(61, "new_energy") == 600


def test_daily_cap_per_local_day_across_midnight() -> None:
    # 22:30 → 01:10: hours starting 22:30, 23:30 (day one) and 00:30 (day two).
    assert fee(160) == 1500
    # 22:30 → next day 22:30: day one has 2 hours (1000), day two 22 hours, capped (3000).
    assert fee(24 * 60) == 1000 + 3000
    # No cap for large vehicles here.
    assert fee(24 * 60, "large") == 24 * 1000
    # The same instants in UTC are one day (14:30 → 17:10): the zone decides the days.
    assert fee(24 * 60, tz="UTC") == 3000 + 3000


def test_a_tariff_is_validated() -> None:
    assert ParkingTariff.of({}) is None
    for bad in (
        {"parking": "free"},
        {"parking": {"free_min": -1, "hourly": {}}},
        {"parking": {"free_min": 30, "hourly": {"bus": 100}}},
        {"parking": {"free_min": 30, "hourly": {"small": 1.5}}},
        {"parking": {"free_min": 30, "hourly": {"small": True}}},
        {"parking": {"free_min": 30}},
    ):
        with pytest.raises(TariffError):
            ParkingTariff.of(bad)


def test_staff_text_reads_into_a_tariff() -> None:
    tariff = read_tariff("free=15 small=5/30 new_energy=2.5/0")
    assert tariff is not None and tariff.free_min == 15
    assert tariff.hourly == {"small": 500, "large": 0, "new_energy": 250}
    assert tariff.daily_cap == {"small": 3000, "large": 0, "new_energy": 0}
    assert read_tariff("off") is None
    for bad in (
        "",
        "free=30",
        "small=5/30",
        "free=x small=5",
        "free=30 bus=5",
        "free=30 small=5.001",
    ):
        with pytest.raises(TariffError):
            read_tariff(bad)
