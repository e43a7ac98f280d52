"""The limits a pass is made within, in one place for the chat and the service
(issue 13): the visitor window, the car plate, the worker's phone, days and hours,
and reading what residents type for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from access.pass_input import parse_dates, parse_hours, parse_window, preset_window
from access.passes import (
    MAX_VISITOR_ADVANCE,
    MAX_VISITOR_WINDOW,
    MAX_WORKER_DAYS,
    PassError,
    check_visitor_window,
    check_worker_days,
    check_worker_hours,
    clean_phone,
    valid_plate,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def code_of(call) -> tuple[str, dict]:
    with pytest.raises(PassError) as caught:
        call()
    return caught.value.code, caught.value.details


def test_a_window_starting_in_the_past_starts_now():
    assert check_visitor_window(NOW - timedelta(hours=1), NOW + timedelta(hours=1), NOW) == NOW
    later = NOW + timedelta(days=1)
    assert check_visitor_window(later, later + timedelta(hours=2), NOW) == later


def test_windows_the_service_refuses():
    hour = timedelta(hours=1)
    assert code_of(lambda: check_visitor_window(NOW + hour, NOW + hour, NOW)) == (
        "bad_window",
        {"over": False},
    )
    assert code_of(lambda: check_visitor_window(NOW - 2 * hour, NOW - hour, NOW)) == (
        "bad_window",
        {"over": True},
    )
    too_long = NOW + MAX_VISITOR_WINDOW + timedelta(minutes=1)
    assert code_of(lambda: check_visitor_window(NOW, too_long, NOW))[0] == "window_too_long"
    far = NOW + MAX_VISITOR_ADVANCE + timedelta(minutes=1)
    assert code_of(lambda: check_visitor_window(far, far + hour, NOW))[0] == "too_far_ahead"
    # The longest and the furthest allowed are allowed.
    check_visitor_window(NOW, NOW + MAX_VISITOR_WINDOW, NOW)
    ahead = NOW + MAX_VISITOR_ADVANCE
    check_visitor_window(ahead, ahead + hour, NOW)


def test_plates():
    assert valid_plate("沪A 12345") == "沪A12345"
    assert valid_plate("沪a·123-45") == "沪A12345"
    # The whole rule (provinces, new energy, full width) is tests/vehicles/test_plates.py.
    assert valid_plate("AAAAAAA") is None
    assert valid_plate("沪A1234!") is None
    assert valid_plate("") is None
    assert valid_plate(None) is None


def test_phones():
    assert clean_phone("139 0000-1111") == "13900001111"
    assert clean_phone("+86 (139) 0000 1111") == "+8613900001111"
    assert clean_phone("1234") is None
    assert clean_phone("call me") is None


def test_worker_days_and_hours():
    today = date(2026, 11, 25)
    day = timedelta(days=1)

    def days(first: date, last: date) -> str:
        return code_of(lambda: check_worker_days(first, last, today))[0]

    check_worker_days(today, today + (MAX_WORKER_DAYS - 1) * day, today)
    assert days(today - day, today) == "starts_in_past"
    assert days(today + day, today) == "bad_range"
    assert days(today, today + MAX_WORKER_DAYS * day) == "range_too_long"
    check_worker_hours(0, 24 * 60)
    assert code_of(lambda: check_worker_hours(600, 600))[0] == "bad_hours"
    assert code_of(lambda: check_worker_hours(600, 24 * 60 + 1))[0] == "bad_hours"


def test_reading_a_typed_window_in_the_communitys_time():
    start, end = parse_window("2026-11-26 09:00 - 2026-11-27 18:00", "Asia/Shanghai")
    assert (start, end) == (
        datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI),
        datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI),
    )
    same_day = parse_window("2026年11月26日 09：00 至 18:00", "Asia/Shanghai")
    assert same_day == (
        datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI),
        datetime(2026, 11, 26, 18, 0, tzinfo=SHANGHAI),
    )
    assert parse_window("tomorrow morning", "Asia/Shanghai") is None
    assert parse_window("2026-02-30 09:00 - 18:00", "Asia/Shanghai") is None


def test_presets_are_the_communitys_days():
    # 2026-11-25 23:30 in Shanghai.
    late = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    assert preset_window("2h", late, "Asia/Shanghai") == (late, late + timedelta(hours=2))
    midnight = datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI)
    assert preset_window("today", late, "Asia/Shanghai") == (late, midnight)
    assert preset_window("tomorrow", late, "Asia/Shanghai") == (
        midnight,
        datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI),
    )
    assert preset_window("next week", late, "Asia/Shanghai") is None


def test_reading_typed_days_and_hours():
    assert parse_dates("2026-11-26 - 2026-12-10") == (date(2026, 11, 26), date(2026, 12, 10))
    assert parse_dates("2026/11/26") == (date(2026, 11, 26), date(2026, 11, 26))
    assert parse_dates("next week") is None
    assert parse_hours("08:30-17:30") == (510, 1050)
    assert parse_hours("07:00 to 24:00") == (420, 1440)
    assert parse_hours("08:00-24:30") is None
    assert parse_hours("25:00-26:00") is None
