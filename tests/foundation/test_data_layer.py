"""The data layer on the real database: models, constraints, the append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.audit import record_audit
from core.identity import load_identity
from core.models import AuditEntry, ResidencyRole, StaffRole
from tests.factories import make_community, make_resident, make_staff, make_unit


async def test_identity_knows_units_and_staff_roles(session):
    c1 = await make_community(session, "阳光花园")
    c2 = await make_community(session, "翠湖苑")
    unit = await make_unit(session, c1, "3栋", "1201")
    person, _ = await make_resident(session, unit, telegram_id=555, role=ResidencyRole.TENANT)
    from core.models import Staff

    session.add(Staff(person_id=person.id, community_id=c2.id, role=StaffRole.GUARD))
    await session.commit()

    identity = await load_identity(session, 555)
    assert identity.is_resident and identity.is_staff
    assert identity.units[0].unit_label == "3栋-1201"
    assert identity.units[0].role == ResidencyRole.TENANT
    assert identity.has_staff_role(c2.id, StaffRole.GUARD)
    assert not identity.has_staff_role(c1.id)
    unknown = await load_identity(session, 999)
    assert not unknown.is_known


async def test_one_deployment_many_communities_unique_names(session):
    await make_community(session, "阳光花园")
    with pytest.raises(IntegrityError):
        await make_community(session, "阳光花园")


async def test_audit_log_is_append_only(session):
    community = await make_community(session)
    person, _ = await make_staff(session, community)
    await record_audit(session, "staff.added", community_id=community.id, actor_person_id=person.id)
    await session.commit()
    with pytest.raises(DBAPIError):
        await session.execute(text("UPDATE audit_log SET action = 'x'"))
    await session.rollback()
    with pytest.raises(DBAPIError):
        await session.execute(text("DELETE FROM audit_log"))
    await session.rollback()
    rows = (await session.scalars(select(AuditEntry))).all()
    assert [r.action for r in rows] == ["staff.added"]
    assert rows[0].at.tzinfo is not None
