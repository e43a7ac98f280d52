"""Which rows a filter selects, on a real database: one community's only, days in
its time zone, people found as staff know them; and the CSV of them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from core.audit_filter import parse_filter
from core.audit_query import audit_csv, count_audit, export_audit, find_audit
from core.clock import SystemClock
from core.models import AuditEntry, Person, Staff, StaffRole
from core.residents import erase_personal_data, personal_export
from tests.factories import make_community, make_person, make_staff

SHANGHAI = "Asia/Shanghai"


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


async def _world(session):
    """Two communities; the same accountant works for both."""
    a = await make_community(session, "阳光花园", timezone=SHANGHAI)
    b = await make_community(session, "Sunny Garden", timezone="Europe/London")
    manager, _ = await make_staff(session, a, 501, "李经理", StaffRole.MANAGER)
    guard, _ = await make_staff(session, a, 502, "Guard Zhao", StaffRole.GUARD)
    guard.username = "Zhao_Guard"
    accountant, _ = await make_staff(session, a, 503, "王会计", StaffRole.ACCOUNTANT)
    session.add(Staff(person_id=accountant.id, community_id=b.id, role=StaffRole.ACCOUNTANT))
    rows = [
        # 1 Dec 16:30 UTC is already 2 Dec 00:30 in Shanghai.
        AuditEntry(at=_at(1, 16, 30), action="fees.refund", community_id=a.id,
                   actor_person_id=accountant.id, actor_telegram_id=503),
        AuditEntry(at=_at(1, 15, 0), action="fees.refund", community_id=a.id, allowed=False,
                   actor_person_id=guard.id, actor_telegram_id=502,
                   details={"required_roles": ["manager", "accountant"]}),
        AuditEntry(at=_at(2, 9, 0), action="staff.role_changed", community_id=a.id,
                   actor_person_id=manager.id, actor_telegram_id=501,
                   target_type="person", target_id=str(guard.id)),
        # Someone who never wrote to the bot, refused in A's group.
        AuditEntry(at=_at(3, 1, 0), action="audit.view", community_id=a.id, allowed=False,
                   actor_telegram_id=777),
        # B's rows: the same accountant, same action and days.
        AuditEntry(at=_at(1, 16, 30), action="fees.refund", community_id=b.id,
                   actor_person_id=accountant.id, actor_telegram_id=503),
        AuditEntry(at=_at(2, 9, 0), action="fees.expense", community_id=b.id,
                   actor_person_id=accountant.id, actor_telegram_id=503),
    ]  # fmt: skip
    session.add_all(rows)
    await session.flush()
    return a, b, guard


async def _ids(session, community, typed: str) -> list[tuple[str, str]]:
    rows = await find_audit(
        session, parse_filter(typed), community_id=community.id, tz=community.timezone
    )
    assert await count_audit(
        session, parse_filter(typed), community_id=community.id, tz=community.timezone
    ) == len(rows)
    return [(r.action, r.name) for r in rows]


async def test_one_community_only_newest_first(session) -> None:
    a, b, _ = await _world(session)
    assert await _ids(session, a, "") == [
        ("audit.view", ""),
        ("staff.role_changed", "李经理"),
        ("fees.refund", "王会计"),
        ("fees.refund", "Guard Zhao"),
    ]
    # The accountant of both communities: B's rows never show in A, nor A's in B.
    assert await _ids(session, a, "王会计") == [("fees.refund", "王会计")]
    assert await _ids(session, b, "王") == [("fees.expense", "王会计"), ("fees.refund", "王会计")]
    assert await _ids(session, b, "Guard") == []
    # The operator sees every community.
    every = await find_audit(session, parse_filter("fees"), community_id=None, tz=SHANGHAI)
    assert {r.community_name for r in every} == {"阳光花园", "Sunny Garden"}


async def test_days_are_the_communitys(session) -> None:
    a, b, _ = await _world(session)
    # In Shanghai the accountant's refund was on 2 December, the guard's on 1 December.
    assert await _ids(session, a, "fees 2026-12-01") == [("fees.refund", "Guard Zhao")]
    assert await _ids(session, a, "2026-12-02") == [
        ("staff.role_changed", "李经理"),
        ("fees.refund", "王会计"),
    ]
    assert len(await _ids(session, a, "2026-12-01..2026-12-03")) == 4
    assert await _ids(session, a, "..2026-11-30") == []
    # In London the same instant is still 1 December.
    assert await _ids(session, b, "2026-12-01") == [("fees.refund", "王会计")]


async def test_people_by_username_telegram_id_or_name(session) -> None:
    a, _, _ = await _world(session)
    assert await _ids(session, a, "@zhao_guard") == [("fees.refund", "Guard Zhao")]
    assert await _ids(session, a, "502") == [("fees.refund", "Guard Zhao")]
    assert await _ids(session, a, "guard zh") == [("fees.refund", "Guard Zhao")]
    # Not a person of the log, only a Telegram id: still found by it.
    assert await _ids(session, a, "777") == [("audit.view", "")]
    assert await _ids(session, a, "fees.refund @zhao_guard") == [("fees.refund", "Guard Zhao")]
    # LIKE's wildcards are text here.
    assert await _ids(session, a, "%") == []
    assert await _ids(session, a, "staff") == [("staff.role_changed", "李经理")]


async def test_csv_and_target_names(session) -> None:
    a, _, _ = await _world(session)
    rows, cut = await export_audit(
        session,
        parse_filter("2026-12-02"),
        community_id=a.id,
        tz=a.timezone,
        actor_person_id=None,
        actor_telegram_id=501,
    )
    assert not cut and rows[0].target_name == "Guard Zhao"
    data = audit_csv(rows, tz=a.timezone, label=str.upper, person=lambda r: r.name or "?")
    assert data.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(t["action"], t["action_label"], t["person"]) for t in table] == [
        ("staff.role_changed", "STAFF.ROLE_CHANGED", "李经理"),
        ("fees.refund", "FEES.REFUND", "王会计"),
    ]
    assert table[0]["target"] == "Guard Zhao" and table[0]["allowed"] == "yes"
    assert table[1]["time_local"] == "2026-12-02 00:30:00"
    assert table[1]["time_zone"] == SHANGHAI
    # Taking the copy is itself a row.
    export = await session.scalar(select(AuditEntry).where(AuditEntry.action == "audit.export"))
    assert export is not None and export.details == {"filter": "2026-12-02", "rows": 2}


async def test_the_username_is_personal_data(session) -> None:
    person = await make_person(session, 601, "Anna")
    person.username = "anna_k"
    await session.flush()
    assert (await personal_export(session, person.id))["telegram"] == {"username": "anna_k"}
    await erase_personal_data(session, person.id, clock=SystemClock())
    assert await session.scalar(select(Person.username).where(Person.id == person.id)) is None
