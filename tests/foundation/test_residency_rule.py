"""The one definition of an active residency (core.residency), in SQL and in Python."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.models import Residency, ResidencyRole, ResidencyStatus
from core.residency import active_residency_clause, is_active_on, membership_clause
from tests.factories import make_community, make_resident, make_unit

TODAY = date(2026, 11, 24)


async def test_active_on_a_date_and_by_status(session):
    community = await make_community(session)
    unit = await make_unit(session, community, "3栋", "1201")
    other = await make_unit(session, community, "3栋", "1202")
    owner, owner_res = await make_resident(session, unit, 501)
    tenant, tenant_res = await make_resident(session, unit, 502, role=ResidencyRole.TENANT)
    tenant_res.end_date = TODAY  # the lease's last day: still living there
    late, late_res = await make_resident(session, unit, 503, role=ResidencyRole.TENANT)
    late_res.end_date = TODAY - timedelta(days=1)  # over; the daily job has not run yet
    gone, gone_res = await make_resident(session, unit, 504)
    gone_res.status = ResidencyStatus.ENDED
    waiting, waiting_res = await make_resident(session, unit, 505)
    waiting_res.status = ResidencyStatus.PENDING
    elsewhere, _ = await make_resident(session, other, 506)
    await session.commit()

    async def people(*where) -> set[int]:
        return set((await session.scalars(select(Residency.person_id).where(*where))).all())

    on_today = await people(active_residency_clause(TODAY, unit_id=unit.id))
    assert on_today == {owner.id, tenant.id}
    by_status = await people(active_residency_clause(unit_id=unit.id))
    assert by_status == {owner.id, tenant.id, late.id}
    assert await people(active_residency_clause(TODAY, person_id=elsewhere.id)) == {elsewhere.id}
    table = Residency.__table__.c
    assert await people(active_residency_clause(TODAY, residency=table)) == on_today | {
        elsewhere.id
    }

    for residency, expected in [
        (owner_res, True),
        (tenant_res, True),
        (late_res, False),
        (gone_res, False),
        (waiting_res, False),
    ]:
        assert is_active_on(residency.status, residency.end_date, TODAY) is expected

    # Lives there or has applied: may not apply or join again.
    for person, member in [(owner, True), (waiting, True), (gone, False), (elsewhere, False)]:
        found = await session.scalar(
            select(Residency.id).where(membership_clause(person.id, unit.id))
        )
        assert (found is not None) is member
