"""Ticket services on the real database: filing, limits, transitions, deadlines, drafts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import FrozenClock
from core.tickets import service
from core.tickets.deadlines import (
    NoticePhase,
    claim_due_notices,
    parse_ticket_settings,
    release_notice,
)
from core.tickets.models import (
    DeadlineKind,
    HazardType,
    RepairCategory,
    Ticket,
    TicketCounter,
    TicketEventType,
    TicketKind,
    TicketStatus,
    Urgency,
)
from tests.factories import make_community, make_resident, make_staff, make_unit

# 10:00 in Shanghai.
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


async def _setup(session, **community_kw):
    community = await make_community(session, admin_chat_id=-1001234, **community_kw)
    unit = await make_unit(session, community, "3栋", "1201")
    resident, _ = await make_resident(session, unit, telegram_id=501)
    tech, _ = await make_staff(session, community, 601, "张师傅", service.StaffRole.TECHNICIAN)
    manager, _ = await make_staff(session, community, 602, "李经理")
    await session.commit()
    return community, unit, resident, tech, manager


async def _file(session, clock, community, resident, unit, **kw):
    args = dict(
        community=community,
        reporter_person_id=resident.id,
        kind=TicketKind.REPAIR,
        category=RepairCategory.WATER,
        description="厨房水管漏水",
        urgency=Urgency.URGENT,
        unit_id=unit.id,
    )
    args.update(kw)
    ticket = await service.file_ticket(session, clock, **args)
    await session.commit()
    return ticket


async def test_urgent_repair_gets_the_source_documents_deadlines(session, clock):
    community, unit, resident, *_ = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    assert ticket.number == 1 and ticket.status == TicketStatus.NEW
    due = {d.kind: d.due_at for d in ticket.deadlines}
    assert due == {
        DeadlineKind.ACKNOWLEDGE: T0 + timedelta(minutes=10),
        DeadlineKind.ON_SITE: T0 + timedelta(minutes=10),
        DeadlineKind.RESOLVE: T0 + timedelta(hours=4),
    }
    on_site = next(d for d in ticket.deadlines if d.kind == DeadlineKind.ON_SITE)
    # Warned at 80 % of the window, escalated as long after.
    assert on_site.warn_at == T0 + timedelta(minutes=8)
    assert on_site.escalate_at == T0 + timedelta(minutes=12)
    assert [e.type for e in ticket.events] == [TicketEventType.FILED]


async def test_policy_per_kind_and_community_override(session, clock):
    community, unit, resident, *_ = await _setup(session)
    normal = await _file(session, clock, community, resident, unit, urgency=Urgency.NORMAL)
    assert {d.kind: d.due_at - T0 for d in normal.deadlines} == {
        DeadlineKind.ACKNOWLEDGE: timedelta(hours=4),  # working hours; T0 is 09:00 local
        DeadlineKind.RESOLVE: timedelta(days=3),
    }
    complaint = await _file(
        session, clock, community, resident, unit, kind=TicketKind.COMPLAINT, category=None
    )
    assert {d.kind: d.due_at - T0 for d in complaint.deadlines} == {
        DeadlineKind.FIRST_RESPONSE: timedelta(hours=24),
        DeadlineKind.RESOLVE: timedelta(days=7),
    }
    community.config = {
        "tickets": {"deadlines": {"repair": {"urgent": {"resolve": 360, "acknowledge": None}}}}
    }
    await session.commit()
    custom = await _file(session, clock, community, resident, unit)
    assert {d.kind: d.due_at - T0 for d in custom.deadlines} == {
        DeadlineKind.ON_SITE: timedelta(minutes=10),
        DeadlineKind.RESOLVE: timedelta(hours=6),
    }
    assert [normal.number, complaint.number, custom.number] == [1, 2, 3]


def test_invalid_config_values_fall_back_to_defaults():
    settings = parse_ticket_settings(
        {"tickets": {"daily_limit": "many", "deadlines": {"repair": {"urgent": {"resolve": -5}}}}}
    )
    assert settings.daily_limit == 10
    assert settings.windows(TicketKind.REPAIR, Urgency.URGENT)[DeadlineKind.RESOLVE] == timedelta(
        hours=4
    )


async def test_numbers_are_per_community(session, clock):
    c1, u1, r1, *_ = await _setup(session)
    c2 = await make_community(session, admin_chat_id=-1009999)
    u2 = await make_unit(session, c2, "1栋", "101")
    r2, _ = await make_resident(session, u2, telegram_id=777)
    await session.commit()
    a = await _file(session, clock, c1, r1, u1)
    b = await _file(session, clock, c2, r2, u2)
    c = await _file(session, clock, c1, r1, u1)
    assert (a.number, b.number, c.number) == (1, 1, 2)


async def test_daily_limit_is_refused_and_resets_next_local_day(session, clock):
    community, unit, resident, *_ = await _setup(session)
    community.config = {"tickets": {"daily_limit": 2}}
    await session.commit()
    await _file(session, clock, community, resident, unit)
    await _file(session, clock, community, resident, unit)
    with pytest.raises(service.DailyLimitReached) as refused:
        await service.check_daily_limit(session, clock, community, resident.id)
    assert refused.value.limit == 2
    with pytest.raises(service.DailyLimitReached):
        await _file(session, clock, community, resident, unit)
    await session.rollback()
    assert len((await session.scalars(select(Ticket))).all()) == 2
    for row in (community, unit, resident):
        await session.refresh(row)
    # Midnight in Shanghai is 16:00 UTC.
    clock.set(datetime(2026, 11, 25, 16, 0, 1, tzinfo=UTC))
    await service.check_daily_limit(session, clock, community, resident.id)
    third = await _file(session, clock, community, resident, unit)
    assert third.number == 3


async def test_only_residents_of_the_community_file_with_valid_data(session, clock):
    community, unit, resident, tech, _ = await _setup(session)
    with pytest.raises(service.NotResident):
        await _file(session, clock, community, tech, unit)
    with pytest.raises(service.InvalidTicketData):
        await _file(session, clock, community, resident, unit, category=None)
    with pytest.raises(service.InvalidTicketData):
        await _file(session, clock, community, resident, unit, description="   ")
    with pytest.raises(service.InvalidTicketData):
        await _file(session, clock, community, resident, unit, unit_id=None)
    media = [service.MediaItem("photo", f"f{i}", f"u{i}") for i in range(6)]
    with pytest.raises(service.InvalidTicketData):
        await _file(session, clock, community, resident, unit, media=media)
    hazard = await _file(
        session,
        clock,
        community,
        resident,
        unit,
        unit_id=None,
        kind=TicketKind.HAZARD,
        hazard=HazardType.FIRE_LANE,
        location_text="5栋北侧消防通道",
        latitude=31.2,
        longitude=121.5,
    )
    assert hazard.is_common_area and hazard.category is None


async def test_full_lifecycle_meets_deadlines_and_records_history(session, clock):
    community, unit, resident, tech, manager = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    clock.advance(timedelta(minutes=3))
    await service.take(session, clock, ticket, tech.id)
    with pytest.raises(service.AlreadyTaken):
        await service.take(session, clock, ticket, manager.id)
    clock.advance(timedelta(minutes=5))
    await service.mark_on_site(session, clock, ticket, tech.id)
    clock.advance(timedelta(hours=1))
    await service.resolve(session, clock, ticket, tech.id)
    await session.commit()
    assert ticket.status == TicketStatus.RESOLVED
    assert all(d.met_at is not None and d.met_at <= d.due_at for d in ticket.deadlines)
    with pytest.raises(service.NotReporter):
        await service.confirm(session, clock, ticket, tech.id, 5)
    with pytest.raises(service.InvalidTicketData):
        await service.confirm(session, clock, ticket, resident.id, 6)
    await service.confirm(session, clock, ticket, resident.id, 4)
    await service.add_rating_comment(session, clock, ticket, resident.id, "师傅很专业")
    await session.commit()
    assert (ticket.status, ticket.rating, ticket.rating_comment) == (
        TicketStatus.CLOSED,
        4,
        "师傅很专业",
    )
    assert [e.type for e in ticket.events] == [
        TicketEventType.FILED,
        TicketEventType.TAKEN,
        TicketEventType.ON_SITE,
        TicketEventType.RESOLVED,
        TicketEventType.CONFIRMED,
    ]


async def test_reopen_adds_a_new_resolve_promise(session, clock):
    community, unit, resident, tech, _ = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    await service.take(session, clock, ticket, tech.id)
    await service.resolve(session, clock, ticket, tech.id)
    clock.advance(timedelta(hours=1))
    await service.reopen(session, clock, ticket, resident.id, "还在漏", community)
    await session.commit()
    assert ticket.status == TicketStatus.TAKEN and ticket.reopen_count == 1
    rounds = sorted((d.round, d.due_at) for d in ticket.deadlines if d.kind == "resolve")
    assert rounds == [(0, T0 + timedelta(hours=4)), (1, clock.now() + timedelta(hours=4))]


async def test_reject_and_cancel_void_the_promises(session, clock):
    community, unit, resident, tech, manager = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    with pytest.raises(service.InvalidTicketData):
        await service.reject(session, clock, ticket, manager.id, "  ")
    await service.reject(session, clock, ticket, manager.id, "属于业主自家设施")
    assert ticket.status == TicketStatus.REJECTED
    assert {d.kind: (d.met_at is not None, d.voided_at is not None) for d in ticket.deadlines} == {
        DeadlineKind.ACKNOWLEDGE: (True, False),
        DeadlineKind.ON_SITE: (False, True),
        DeadlineKind.RESOLVE: (False, True),
    }
    other = await _file(session, clock, community, resident, unit)
    with pytest.raises(service.NotReporter):
        await service.cancel(session, clock, other, tech.id)
    await service.cancel(session, clock, other, resident.id)
    assert all(d.voided_at is not None for d in other.deadlines)
    with pytest.raises(service.InvalidTransition):
        await service.take(session, clock, other, tech.id)


async def test_assign_only_to_staff_of_the_community(session, clock):
    community, unit, resident, tech, manager = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    with pytest.raises(service.NotAssignable):
        await service.assign(session, clock, ticket, resident.id, manager.id)
    await service.assign(session, clock, ticket, tech.id, manager.id)
    assert ticket.assignee_person_id == tech.id and ticket.status == TicketStatus.TAKEN
    staff = await service.assignable_staff(session, community.id)
    assert {p.id for p, _ in staff} == {tech.id, manager.id}


async def test_concurrent_take_has_one_winner(session_factory, clock):
    async with session_factory() as s:
        community, unit, resident, tech, manager = await _setup(s)
        ticket = await _file(s, clock, community, resident, unit)
    async with session_factory() as a, session_factory() as b:
        ta = await service.get_ticket(a, ticket.id)
        tb = await service.get_ticket(b, ticket.id)
        await service.take(a, clock, ta, tech.id)
        await a.commit()
        with pytest.raises((service.TicketChanged, service.AlreadyTaken)):
            await service.take(b, clock, tb, manager.id)
            await b.commit()


async def test_auto_close_after_seven_days(session, clock):
    community, unit, resident, tech, _ = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    await service.resolve(session, clock, ticket, tech.id)
    await session.commit()
    clock.advance(timedelta(days=6, hours=23))
    assert await service.auto_close_candidates(session, clock) == []
    clock.advance(timedelta(hours=2))
    due = await service.auto_close_candidates(session, clock)
    assert [t.id for t in due] == [ticket.id]
    await service.auto_close(session, clock, due[0])
    await session.commit()
    assert due[0].status == TicketStatus.CLOSED
    assert due[0].events[-1].type == TicketEventType.AUTO_CLOSED


async def test_each_notice_is_claimed_once(session, clock):
    community, unit, resident, tech, _ = await _setup(session)
    ticket = await _file(session, clock, community, resident, unit)
    assert await claim_due_notices(session, clock.now()) == []
    clock.advance(timedelta(minutes=8))
    warnings = await claim_due_notices(session, clock.now())
    await session.commit()
    assert {(n.kind, n.phase) for n in warnings} == {
        (DeadlineKind.ACKNOWLEDGE, NoticePhase.WARNING),
        (DeadlineKind.ON_SITE, NoticePhase.WARNING),
    }
    assert await claim_due_notices(session, clock.now()) == []
    # A failed send gives the claim back.
    await release_notice(session, warnings[0])
    await session.commit()
    again = await claim_due_notices(session, clock.now())
    assert [(n.kind, n.phase) for n in again] == [(warnings[0].kind, NoticePhase.WARNING)]
    await session.commit()
    await service.take(session, clock, ticket, tech.id)
    await session.commit()
    clock.advance(timedelta(minutes=5))
    late = await claim_due_notices(session, clock.now())
    await session.commit()
    assert [(n.kind, n.phase) for n in late] == [
        (DeadlineKind.ON_SITE, NoticePhase.OVERDUE),
        (DeadlineKind.ON_SITE, NoticePhase.ESCALATION),
    ]
    assert await claim_due_notices(session, clock.now()) == []
    overdue = await service.overdue_tickets(session, community.id, clock.now())
    assert [(t.id, [d.kind for d in ds]) for t, ds in overdue] == [
        (ticket.id, [DeadlineKind.ON_SITE])
    ]


async def test_a_warning_whose_deadline_passed_while_down_is_skipped(session, clock):
    community, unit, resident, *_ = await _setup(session)
    await _file(session, clock, community, resident, unit, urgency=Urgency.NORMAL)
    clock.advance(timedelta(days=3, minutes=1))
    notices = await claim_due_notices(session, clock.now())
    resolve = [n.phase for n in notices if n.kind == DeadlineKind.RESOLVE]
    assert resolve == [NoticePhase.OVERDUE]


async def test_album_items_are_counted_exactly(session, clock):
    key = "draft-1"
    results = []
    for i in range(7):
        results.append(
            await service.add_draft_media(
                session,
                clock,
                key,
                kind="photo",
                file_id=f"file{i}",
                file_unique_id=f"u{i}",
                media_group_id="album",
            )
        )
    await session.commit()
    assert [r.accepted for r in results] == [True] * 5 + [False] * 2
    # One answer for the accepted part, one for the refused part of the album.
    assert [r.first_of_group for r in results] == [True, False, False, False, False, True, False]
    assert results[5].reason == "too_many_photos"
    dup = await service.add_draft_media(
        session,
        clock,
        key,
        kind="photo",
        file_id="file0",
        file_unique_id="u0",
        media_group_id="album",
    )
    assert dup.duplicate
    video = await service.add_draft_media(
        session, clock, key, kind="video", file_id="v", file_unique_id="v", media_group_id=None
    )
    assert not video.accepted and video.reason == "mixed"
    items = await service.draft_media(session, key)
    assert [m.file_id for m in items] == [f"file{i}" for i in range(5)]
    clock.advance(timedelta(days=2))
    assert await service.purge_stale_drafts(session, clock, older_than=timedelta(days=1)) == 8


async def test_counter_survives_in_its_own_table(session, clock):
    community, unit, resident, *_ = await _setup(session)
    await _file(session, clock, community, resident, unit)
    counter = await session.get(TicketCounter, community.id)
    assert counter is not None and counter.last_number == 1


async def test_a_description_is_long_enough_to_tell_staff_what_to_bring(session, clock):
    community, unit, resident, *_ = await _setup(session)
    short = "漏" * (service.MIN_DESCRIPTION - 1)
    with pytest.raises(service.InvalidTicketData) as refused:
        await _file(session, clock, community, resident, unit, description=f"  {short}  ")
    assert refused.value.field == "description"
    await session.rollback()
    ticket = await _file(session, clock, community, resident, unit, description=short + "水")
    assert ticket.description == short + "水"
