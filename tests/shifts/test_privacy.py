"""A staff member's shifts and hand-overs in their /privacy export, and erased."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from core.models import StaffRole
from core.privacy import area_exports, erase_in_areas
from core.shifts.models import Handover, Shift
from core.shifts.service import HandoverText, add_shift, submit_handover
from tests.factories import make_community, make_staff


async def test_export_and_erasure(session):
    community = await make_community(session, "Privacy Court")
    guard, _ = await make_staff(session, community, 7001, "Sun Guard", StaffRole.GUARD)
    await add_shift(
        session,
        community,
        who="Sun Guard",
        day=date(2026, 12, 2),
        start=time(20),
        end=time(8),
        actor_person_id=None,
    )
    await submit_handover(
        session,
        community,
        person_id=guard.id,
        text=HandoverText("Gate 2 sticks", "-", "", ""),
        now=datetime(2026, 12, 3, 0, 5, tzinfo=UTC),
    )
    await session.commit()
    exported = (await area_exports(session, guard.id))["shifts"]
    assert len(exported["shifts"]) == 1
    assert exported["handovers_written"][0]["open_matters"] == "Gate 2 sticks"

    await erase_in_areas(session, guard.id)
    await session.commit()
    assert (await session.scalars(select(Shift))).all() == []
    row = await session.scalar(select(Handover))
    assert row is not None and row.open_matters == "" and row.from_person_id is None
