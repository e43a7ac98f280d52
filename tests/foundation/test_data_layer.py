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


async def test_cacheable_upsert_inserts_updates_and_reports(session):
    """core.db.upsert: one statement for SQLite and PostgreSQL, columns typed as
    the ORM types them, DO NOTHING / DO UPDATE, and compiled once."""
    from datetime import UTC, datetime

    from core.db import upsert
    from core.models import ConversationState, Person

    people = Person.__table__
    first = upsert(
        people,
        insert=("telegram_id", "full_name", "locale", "created_at", "updated_at"),
        conflict=("telegram_id",),
        returning=("id",),
    )
    at = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    row = {"telegram_id": 777, "full_name": "李雷", "locale": "zh_Hans"}
    row |= {"created_at": at, "updated_at": at}
    person_id = (await session.execute(first, row)).scalar()
    assert isinstance(person_id, int)
    again = {**row, "full_name": "someone else"}
    assert (await session.execute(first, again)).scalar() is None  # exists: nothing
    person = await session.get(Person, person_id)
    assert person is not None and person.full_name == "李雷" and person.created_at == at

    states = ConversationState.__table__
    set_state = upsert(
        states,
        insert=("key", "state", "data", "updated_at"),
        conflict=("key",),
        update=("state", "updated_at"),
    )
    params = {"key": "1:2:2", "state": "Flow:a", "data": '{"n": 1}', "updated_at": at}
    await session.execute(set_state, params)
    await session.execute(set_state, {**params, "state": "Flow:b", "data": "{}"})
    stored = (
        await session.execute(select(states.c.state, states.c.data).where(states.c.key == "1:2:2"))
    ).one()
    assert tuple(stored) == ("Flow:b", '{"n": 1}')  # data was not among the updated columns
    # it has a cache key (the dialects' on_conflict constructs have none: compiled
    # again on every execution)
    assert first._generate_cache_key() is not None
    assert set_state._generate_cache_key() is not None
    with pytest.raises(KeyError):
        upsert(people, insert=("telegram_id", "nickname"), conflict=("telegram_id",))
