"""Fire lanes and exits: checkpoints of kind ``fire_lane``, checked at least twice a
month (the source documents' number; ``config["fire_lane_checks_per_month"]``),
each check with a photo and "clear" or "blocked". A blocked lane opens a hazard
ticket with the photo (:func:`core.tickets.staff_filing.file_staff_hazard`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.models import Community
from core.patrols.checkpoints import Coordinates, community_checkpoints, record_visit
from core.patrols.models import Checkpoint, CheckpointKind, CheckpointVisit, LaneVerdict
from core.tickets.filing import MediaItem
from core.tickets.models import HazardType, Ticket
from core.tickets.staff_filing import file_staff_hazard

DEFAULT_CHECKS_PER_MONTH = 2


def checks_required(community: Community) -> int:
    value = (community.config or {}).get("fire_lane_checks_per_month", DEFAULT_CHECKS_PER_MONTH)
    return max(int(value), DEFAULT_CHECKS_PER_MONTH)


@dataclass(frozen=True)
class LaneCheck:
    visit: CheckpointVisit
    ticket: Ticket | None


async def record_lane_check(
    session: AsyncSession,
    clock: Clock,
    *,
    checkpoint_id: int,
    salt: str,
    person_id: int,
    telegram_id: int | None,
    location: Coordinates | None,
    photo: MediaItem,
    verdict: LaneVerdict,
    ticket_text: str,
) -> LaneCheck:
    """The check as a visit with its verdict; "blocked" files the hazard ticket
    (``ticket_text`` its description, in the admin group's language) — one
    transaction, the caller's."""
    visit = await record_visit(
        session,
        checkpoint_id=checkpoint_id,
        salt=salt,
        person_id=person_id,
        telegram_id=telegram_id,
        now=clock.now(),
        location=location,
        photo_file_id=photo.file_id,
    )
    visit.verdict = verdict
    ticket = None
    if verdict == LaneVerdict.BLOCKED:
        checkpoint = await session.get(Checkpoint, checkpoint_id)
        community = await session.get(Community, visit.community_id)
        assert checkpoint is not None and community is not None
        ticket = await file_staff_hazard(
            session,
            clock,
            community=community,
            staff_person_id=person_id,
            hazard=HazardType.FIRE_LANE,
            description=ticket_text,
            location_text=f"{checkpoint.name} · {checkpoint.place}".strip(" ·")[:120],
            latitude=checkpoint.latitude,
            longitude=checkpoint.longitude,
            media=[photo],
        )
        visit.ticket_id = ticket.id
    await session.flush()
    return LaneCheck(visit, ticket)


@dataclass(frozen=True)
class LaneMonth:
    name: str
    done: int
    blocked: int
    required: int


@dataclass(frozen=True)
class LaneCompliance:
    month: date  # the first day
    lanes: list[LaneMonth]

    @property
    def done(self) -> int:
        return sum(min(lane.done, lane.required) for lane in self.lanes)

    @property
    def required(self) -> int:
        return sum(lane.required for lane in self.lanes)

    @property
    def pct(self) -> float | None:
        return 100.0 * self.done / self.required if self.required else None


def month_bounds(month: date, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC),
    )


async def lane_compliance(
    session: AsyncSession, community: Community, month: date
) -> LaneCompliance:
    """Checks done against required for each fire lane in the community's month."""
    start, end = month_bounds(month, community.timezone)
    lanes = await community_checkpoints(session, community.id, CheckpointKind.FIRE_LANE)
    rows = await session.execute(
        select(
            CheckpointVisit.checkpoint_id,
            func.count(),
            func.count().filter(CheckpointVisit.verdict == LaneVerdict.BLOCKED),
        )
        .where(
            CheckpointVisit.community_id == community.id,
            CheckpointVisit.verdict.is_not(None),
            CheckpointVisit.visited_at >= start,
            CheckpointVisit.visited_at < end,
        )
        .group_by(CheckpointVisit.checkpoint_id)
    )
    counts = {cid: (done, blocked) for cid, done, blocked in rows.all()}
    required = checks_required(community)
    return LaneCompliance(
        month.replace(day=1),
        [LaneMonth(lane.name, *counts.get(lane.id, (0, 0)), required=required) for lane in lanes],
    )


@dataclass(frozen=True)
class LaneReminder:
    community: Community
    stage: str  # "mid" | "end"
    behind: list[LaneMonth]


async def claim_lane_reminders(session: AsyncSession, now: datetime) -> list[LaneReminder]:
    """Fire lanes behind schedule, each community's reminder claimed once per stage:
    from the 15th, lanes with no check this month; from three days before the month
    ends, lanes with fewer checks than required."""
    from sqlalchemy.exc import IntegrityError

    from core.patrols.models import FireLaneReminder

    reminders = []
    community_ids = (
        await session.scalars(
            select(Checkpoint.community_id)
            .where(Checkpoint.kind == CheckpointKind.FIRE_LANE, Checkpoint.active.is_(True))
            .distinct()
        )
    ).all()
    for community_id in sorted(community_ids):
        community = await session.get(Community, community_id)
        if community is None or community.admin_chat_id is None:
            continue
        today = now.astimezone(ZoneInfo(community.timezone)).date()
        _, month_end = month_bounds(today, community.timezone)
        days_left = (month_end.astimezone(ZoneInfo(community.timezone)).date() - today).days
        report = await lane_compliance(session, community, today)
        if days_left <= 3:
            stage, behind = "end", [lane for lane in report.lanes if lane.done < lane.required]
        elif today.day >= 15:
            stage, behind = "mid", [lane for lane in report.lanes if lane.done == 0]
        else:
            continue
        if not behind:
            continue
        try:
            async with session.begin_nested():
                session.add(
                    FireLaneReminder(
                        community_id=community_id,
                        month=today.strftime("%Y-%m"),
                        stage=stage,
                        sent_at=now,
                    )
                )
        except IntegrityError:
            continue
        reminders.append(LaneReminder(community, stage, behind))
    return reminders
