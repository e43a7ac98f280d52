"""Community set-up services: creation, the unit CSV import, staff, the admin group."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.communities import (
    CommunityError,
    UnitsCsvError,
    add_staff,
    bind_admin_group,
    change_staff_role,
    create_community,
    find_community,
    import_units,
    list_staff,
    parse_units_csv,
    remove_staff,
)
from core.models import AuditEntry, Building, StaffRole, Unit
from tests.factories import make_community

GOOD_CSV = (
    "building,unit,floor,area_m2\n"
    "1栋,101,1,89.50\n"
    "1栋,102,1,76\n"
    "2栋,1201,12,120.25\n"
    "地下车库,B1-01,-1,12.5\n"
).encode()


async def _counts(session):
    buildings = await session.scalar(select(func.count(Building.id)))
    units = await session.scalar(select(func.count(Unit.id)))
    return buildings, units


async def test_create_community_checks_timezone_and_currency(session):
    c = await create_community(session, " 阳光花园 ", timezone="Asia/Shanghai", currency="cny")
    assert (c.name, c.currency) == ("阳光花园", "CNY")
    with pytest.raises(CommunityError) as exc:
        await create_community(session, "翠湖苑", timezone="Mars/Base", currency="CNY")
    assert exc.value.code == "bad_timezone"
    with pytest.raises(CommunityError) as exc:
        await create_community(session, "翠湖苑", timezone="Asia/Shanghai", currency="XYZ")
    assert exc.value.code == "bad_currency"
    with pytest.raises(CommunityError) as exc:
        await create_community(session, "阳光花园", timezone="Asia/Shanghai", currency="CNY")
    assert exc.value.code == "exists"
    assert (await find_community(session, str(c.id))).id == c.id
    assert (await find_community(session, "阳光花园")).id == c.id


async def test_import_is_idempotent_and_updates_changed_rows(session):
    community = await make_community(session)
    rows = parse_units_csv(GOOD_CSV)
    first = await import_units(session, community, rows)
    await session.commit()
    assert (first.buildings_created, first.units_created) == (3, 4)
    again = await import_units(session, community, parse_units_csv(GOOD_CSV))
    await session.commit()
    assert not again.changed and again.units_unchanged == 4
    assert await _counts(session) == (3, 4)

    changed = GOOD_CSV.replace(b"1201,12,120.25", b"1201,12,121.00")
    report = await import_units(session, community, parse_units_csv(changed))
    await session.commit()
    assert (report.units_updated, report.units_unchanged, report.units_created) == (1, 3, 0)
    unit = await session.scalar(select(Unit).where(Unit.number == "1201"))
    assert unit.area_m2 == Decimal("121.00") and unit.floor == 12


async def test_malformed_csv_reports_every_line_and_changes_nothing(session):
    community = await make_community(session)
    bad = (
        "building,unit,floor,area_m2\n"
        "1栋,101,1,89.50\n"
        ",102,1,76\n"  # line 3: no building
        "1栋,103,一楼,76\n"  # line 4: floor not a number
        "1栋,104,1,-3\n"  # line 5: negative area
        "1栋,101,1,89.50\n"  # line 6: duplicate of line 2
        "1栋,105,1\n"  # line 7: missing column
    ).encode()
    with pytest.raises(UnitsCsvError) as exc:
        parse_units_csv(bad)
    assert [(e.line, e.code) for e in exc.value.errors] == [
        (3, "missing_building"),
        (4, "bad_floor"),
        (5, "bad_area"),
        (6, "duplicate"),
        (7, "wrong_columns"),
    ]
    assert exc.value.errors[3].detail == "2"
    assert await _counts(session) == (0, 0)
    assert community.id


def test_csv_header_bom_and_encoding():
    assert len(parse_units_csv(b"\xef\xbb\xbf" + GOOD_CSV)) == 4
    with pytest.raises(UnitsCsvError) as exc:
        parse_units_csv("building,unit,floor,area_m2\n1栋,101,1,80\n".encode("gbk"))
    assert exc.value.errors[0].code == "not_utf8"
    with pytest.raises(UnitsCsvError) as exc:
        parse_units_csv(b"bldg,unit,floor,area\n")
    assert exc.value.errors[0].code == "bad_header"


async def test_staff_roles_and_last_manager_protection(session):
    community = await make_community(session)
    manager, created = await add_staff(
        session, community, 1001, StaffRole.MANAGER, full_name="李经理"
    )
    assert created
    guard, _ = await add_staff(session, community, 1002, StaffRole.GUARD)
    with pytest.raises(CommunityError) as exc:
        await remove_staff(session, community.id, manager.id)
    assert exc.value.code == "last_manager"
    with pytest.raises(CommunityError):
        await change_staff_role(session, community.id, manager.id, StaffRole.GUARD)
    await change_staff_role(session, community.id, guard.id, StaffRole.MANAGER)
    await remove_staff(session, community.id, manager.id)
    staff = await list_staff(session, community.id)
    assert [(s.telegram_id, s.role) for s in staff] == [(1002, StaffRole.MANAGER)]
    # Re-adding a removed member reactivates them.
    _, created = await add_staff(session, community, 1001, StaffRole.TECHNICIAN)
    assert created
    actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions.count("staff.added") == 3 and "staff.removed" in actions


async def test_a_group_serves_one_community(session):
    a = await make_community(session)
    b = await make_community(session)
    await bind_admin_group(session, a, -100123, is_forum=True)
    assert a.admin_chat_id == -100123 and a.admin_chat_is_forum
    with pytest.raises(CommunityError) as exc:
        await bind_admin_group(session, b, -100123, is_forum=False)
    assert exc.value.code == "chat_bound_elsewhere"
