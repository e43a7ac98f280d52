"""The scorecard's arithmetic on a seeded month (December 2026, Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.equipment.models import (
    Equipment,
    Frequency,
    LightCheck,
    MaintenancePlan,
    MaintenanceTask,
    TaskStatus,
)
from core.fees.chat_models import FeeStatement
from core.fees.models import FeeItem, FeeKind
from core.patrols.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointVisit,
    LaneVerdict,
    PatrolRound,
    PatrolRoute,
)
from core.scorecard.figures import month_scorecard, week_scorecard
from core.scorecard.measures import AccountsState
from core.tickets.models import (
    DeadlineKind,
    Ticket,
    TicketDeadline,
    TicketKind,
    TicketStatus,
    Urgency,
)
from tests.factories import make_community

DEC = date(2026, 12, 1)
LOCAL = timedelta(hours=8)


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC) - LOCAL


async def test_a_seeded_month_adds_up(session):
    community = await make_community(session, "Scorecard Court")
    route = PatrolRoute(
        community_id=community.id, name="Night", start_min=1320, end_min=360, every_min=120
    )
    session.add(route)
    await session.flush()
    # Rounds: two of three completed in December; one in November is not counted.
    for start, completed in (
        (at(12, 1, 22), True),
        (at(12, 2, 0), False),
        (at(12, 31, 22), True),
        (at(11, 30, 22), False),
    ):
        session.add(
            PatrolRound(
                community_id=community.id,
                route_id=route.id,
                window_start=start,
                window_end=start + timedelta(hours=2),
                completed=completed,
                outcomes={},
            )
        )
    # Fire lanes: A checked three times (counts 2 of 2), B once (1 of 2) -> 3 of 4.
    lanes = []
    for name in ("Lane A", "Lane B"):
        lane = Checkpoint(
            community_id=community.id,
            kind=CheckpointKind.FIRE_LANE,
            name=name,
            salt="s",
            photo_required=True,
        )
        session.add(lane)
        lanes.append(lane)
    await session.flush()
    for lane, days in ((lanes[0], (3, 10, 20)), (lanes[1], (5,))):
        for day in days:
            session.add(
                CheckpointVisit(
                    community_id=community.id,
                    checkpoint_id=lane.id,
                    visited_at=at(12, day, 10),
                    verdict=LaneVerdict.CLEAR,
                )
            )
    # Lights: three of four working.
    for index in range(4):
        light = Equipment(community_id=community.id, name=f"Light {index}", kind="street_light")
        session.add(light)
        await session.flush()
        session.add(
            LightCheck(
                community_id=community.id,
                equipment_id=light.id,
                month="2026-12",
                working=index != 0,
            )
        )
    # Maintenance: due in December — on time, late, open; one due in January.
    pump = Equipment(community_id=community.id, name="Pump", kind="pump")
    session.add(pump)
    await session.flush()
    plan = MaintenancePlan(
        community_id=community.id, kind="pump", frequency=Frequency.WEEKLY, checklist=["x"]
    )
    session.add(plan)
    await session.flush()
    for period, due, done_at in (
        ("2026-W49", date(2026, 12, 6), at(12, 6, 23)),  # 23:00 local on the due day
        ("2026-W50", date(2026, 12, 13), at(12, 14, 9)),
        ("2026-W51", date(2026, 12, 20), None),
        ("2026-W53", date(2027, 1, 3), None),
    ):
        session.add(
            MaintenanceTask(
                community_id=community.id,
                plan_id=plan.id,
                equipment_id=pump.id,
                period=period,
                due_on=due,
                status=TaskStatus.DONE if done_at else TaskStatus.OPEN,
                done_at=done_at,
            )
        )
    # Complaints filed in December: resolved, closed (both count), new, rejected;
    # a cancelled one is left out -> 2 of 4. A repair is not a complaint.
    for number, (kind, status) in enumerate(
        (
            (TicketKind.COMPLAINT, TicketStatus.RESOLVED),
            (TicketKind.COMPLAINT, TicketStatus.CLOSED),
            (TicketKind.COMPLAINT, TicketStatus.NEW),
            (TicketKind.COMPLAINT, TicketStatus.REJECTED),
            (TicketKind.COMPLAINT, TicketStatus.CANCELLED),
            (TicketKind.REPAIR, TicketStatus.CLOSED),
        ),
        start=1,
    ):
        session.add(
            Ticket(
                community_id=community.id,
                number=number,
                kind=kind,
                status=status,
                description="x",
                created_at=at(12, 2 + number, 10),
            )
        )
    # Urgent repairs: on site in 8 min (met) and 25 min (missed); done in 3 h
    # (met), one still open past its 4 h (missed), one not due yet (left out).
    # A normal repair's deadlines are not urgent ones.
    m = timedelta(minutes=1)
    for number, (urgency, on_site_at, done_at, filed) in enumerate(
        (
            (Urgency.URGENT, 8 * m, 180 * m, at(12, 10, 9)),
            (Urgency.EMERGENCY, 25 * m, None, at(12, 11, 9)),
            (Urgency.URGENT, None, None, at(12, 31, 12) - 2 * m),
            (Urgency.NORMAL, None, None, at(12, 11, 9)),
        ),
        start=10,
    ):
        ticket = Ticket(
            community_id=community.id,
            number=number,
            kind=TicketKind.REPAIR,
            urgency=urgency,
            description="x",
            created_at=filed,
        )
        session.add(ticket)
        await session.flush()
        for kind, window, met in (
            (DeadlineKind.ON_SITE, 10 * m, on_site_at),
            (DeadlineKind.RESOLVE, 240 * m, done_at),
        ):
            if urgency == Urgency.NORMAL and kind == DeadlineKind.ON_SITE:
                continue
            session.add(
                TicketDeadline(
                    ticket_id=ticket.id,
                    kind=kind,
                    due_at=filed + window,
                    warn_at=filed + window,
                    escalate_at=filed + window,
                    met_at=filed + met if met is not None else None,
                )
            )
    # Accounts: the first half of 2026, due by 14 July, published on 20 July: late.
    session.add(
        FeeItem(community_id=community.id, name="Fee", kind=FeeKind.FIXED, amount_minor=100)
    )
    session.add(
        FeeStatement(
            community_id=community.id,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 7, 1),
            trigger="schedule",
            created_at=at(7, 20, 10),
        )
    )
    await session.commit()

    card = await month_scorecard(session, community, DEC, at(12, 31, 12))
    assert (card.rounds_completed, card.rounds) == (2, 3)
    assert round(card.rounds_pct or 0) == 67
    assert (card.lanes.done, card.lanes.required) == (3, 4)
    assert card.lights.pct == 75.0 and not card.lights.on_target
    assert (card.tasks_on_time, card.tasks_due) == (1, 3)
    urgent = card.urgent
    assert (urgent.on_site.met, urgent.on_site.decided) == (1, 2)
    assert (urgent.done.met, urgent.done.decided) == (1, 2)
    assert urgent.on_site_window == timedelta(minutes=10)
    assert (card.complaints.resolved, card.complaints.filed) == (2, 4)
    assert card.complaints.pct == 50.0
    assert card.accounts is not None and card.accounts.state == AccountsState.LATE
    assert card.accounts.due_by == date(2026, 7, 14)
    assert card.accounts.published_on == date(2026, 7, 20)
    assert not card.weekly

    # The week 1-7 December: two rounds (one completed), one task due (on time),
    # the complaints filed on the 3rd to the 7th; lanes and lights: the month.
    week = await week_scorecard(session, community, date(2026, 12, 7), at(12, 31, 12))
    assert week.weekly and week.first == date(2026, 12, 1)
    assert (week.rounds_completed, week.rounds) == (1, 2)
    assert (week.tasks_on_time, week.tasks_due) == (1, 1)
    assert (week.complaints.resolved, week.complaints.filed) == (2, 4)
    assert (week.lanes.done, week.lanes.required) == (3, 4)


async def test_accounts_not_due_missing_or_none(session):
    community = await make_community(session, "Accounts Court")
    card = await month_scorecard(session, community, DEC, at(12, 31, 12))
    assert card.accounts is None  # no fee items: nothing to publish
    # No tickets in the month: nothing to measure, not 0%.
    assert card.urgent.on_site.share is None and card.median_to_on_site is None
    session.add(
        FeeItem(community_id=community.id, name="Fee", kind=FeeKind.FIXED, amount_minor=100)
    )
    await session.commit()
    card = await month_scorecard(session, community, DEC, at(12, 31, 12))
    assert card.accounts is not None and card.accounts.state == AccountsState.MISSING
    july = await month_scorecard(session, community, date(2026, 7, 1), at(7, 5, 12))
    assert july.accounts is not None and july.accounts.state == AccountsState.NOT_DUE
