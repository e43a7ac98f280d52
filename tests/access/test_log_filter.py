"""What ``/log TEXT`` asks the gate log for (access.log.resolve_log_filter): a unit is
found however staff type it — ``3栋/1201`` as well as ``3栋-1201`` (issue 13: the log
had its own unit parser that knew only the dash) — and the filter survives the CSV
button's callback data."""

from __future__ import annotations

from datetime import date

import pytest

from access.log import LogFilter, resolve_log_filter

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("typed", ["3栋-1201", "3栋/1201", "3栋 1201", " 3栋-1201 "])
async def test_a_unit_is_found_as_residents_write_it(session, site, typed):
    flt = await resolve_log_filter(session, site.community.id, typed, TODAY)
    assert flt == LogFilter(unit_id=site.unit.id)


async def test_days_gates_and_nothing(session, site):
    community_id = site.community.id
    assert await resolve_log_filter(session, community_id, "", TODAY) == LogFilter()
    assert await resolve_log_filter(session, community_id, "今天", TODAY) == LogFilter(day=TODAY)
    assert await resolve_log_filter(session, community_id, "yesterday", TODAY) == LogFilter(
        day=date(2026, 11, 24)
    )
    assert await resolve_log_filter(session, community_id, "2026-11-20", TODAY) == LogFilter(
        day=date(2026, 11, 20)
    )
    assert await resolve_log_filter(session, community_id, "东门", TODAY) == LogFilter(
        gate_id=site.gate_ids["东门"]
    )
    assert await resolve_log_filter(session, community_id, "9栋-0101", TODAY) is None
    assert await resolve_log_filter(session, community_id, "2026-13-40", TODAY) is None


@pytest.mark.parametrize(
    "flt",
    [LogFilter(), LogFilter(day=TODAY), LogFilter(gate_id=7), LogFilter(unit_id=12)],
)
def test_the_filter_travels_in_a_button(flt):
    assert LogFilter.from_key(*flt.key()) == flt


def test_a_button_the_log_never_made_is_refused():
    assert LogFilter.from_key("day", "not-a-date") is None
    assert LogFilter.from_key("person", "3") is None
