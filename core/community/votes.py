"""Owners' votes: opening one, casting a unit's ballot, the live turnout, closing at
the deadline (:mod:`.tally` holds the rules).

One ballot per unit: the first owner of the unit to cast it decides, through a
unique (vote, unit) row inserted with ON CONFLICT DO NOTHING — co-owners casting at
the same moment get one counted ballot, the others are shown it. A ballot is never
changed; after the deadline the vote answers "closed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.community.models import (
    Audience,
    Ballot,
    NoticeKind,
    Vote,
    VoteChoice,
    VoteMatter,
    VoteStatus,
    VoteUnit,
)
from core.community.notices import TITLE_MAX, NoticeDraft, create_notice
from core.community.tally import Tally, owner_keys, tally
from core.community.times import ON_THE_LIST
from core.models import Building, Residency, ResidencyRole, Unit
from core.residency import active_residency_clause

QUESTION_MAX = 500
LATEST = timedelta(days=90)
REMIND_BEFORE = timedelta(hours=24)


class VoteError(Exception):
    def __init__(self, code: str, count: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.count = count


def owner_clause(today: date) -> Any:
    return active_residency_clause(today) & (Residency.role == ResidencyRole.OWNER)


async def owner_units(
    session: AsyncSession, community_id: int, building_ids: list[int], today: date
) -> dict[int, Decimal]:
    """Units with at least one active owner: unit id -> area."""
    query = (
        select(Unit.id, Unit.area_m2)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(Unit.community_id == community_id, owner_clause(today))
        .distinct()
    )
    if building_ids:
        query = query.where(Unit.building_id.in_(building_ids))
    return {u: Decimal(a or 0) for u, a in (await session.execute(query)).all()}


async def open_vote(
    session: AsyncSession,
    *,
    community_id: int,
    person_id: int | None,
    question: str,
    matter: VoteMatter,
    secret: bool,
    building_ids: list[int],
    deadline: datetime,
    now: datetime,
    today: date,
) -> tuple[Vote, int]:
    """The vote and its entitled units, in the caller's transaction."""
    if not question or len(question) > QUESTION_MAX:
        raise VoteError("bad_question")
    if deadline <= now or deadline > now + LATEST:
        raise VoteError("bad_deadline")
    units = await owner_units(session, community_id, building_ids, today)
    if not units:
        raise VoteError("no_owner_units")
    without_area = sum(1 for area in units.values() if area <= 0)
    if without_area:
        raise VoteError("no_area", without_area)
    vote = Vote(
        community_id=community_id,
        opened_by_person_id=person_id,
        question=question,
        matter=matter,
        secret=secret,
        building_ids=list(building_ids),
        deadline=deadline,
        status=VoteStatus.OPEN,
        created_at=now,
    )
    session.add(vote)
    await session.flush()
    keys = await _owner_keys(session, list(units), today)
    session.add_all(
        VoteUnit(vote_id=vote.id, unit_id=u, area_m2=a, owner_key=keys.get(u))
        for u, a in units.items()
    )
    await record_audit(
        session,
        "votes.open",
        community_id=community_id,
        actor_person_id=person_id,
        target_type="vote",
        target_id=vote.id,
        details={
            "matter": matter.value,
            "secret": secret,
            "units": len(units),
            "area_m2": str(sum(units.values())),
            "deadline": deadline.isoformat(),
        },
    )
    return vote, len(units)


async def _owner_keys(session: AsyncSession, unit_ids: list[int], today: date) -> dict[int, int]:
    rows = await session.execute(
        select(Residency.unit_id, Residency.person_id).where(
            owner_clause(today), Residency.unit_id.in_(unit_ids)
        )
    )
    return owner_keys(unit_ids, [(u, p) for u, p in rows.all()])


async def get_vote(session: AsyncSession, vote_id: int) -> Vote:
    vote = await session.get(Vote, vote_id)
    if vote is None:
        raise VoteError("not_found")
    return vote


@dataclass(frozen=True)
class UnitBallot:
    unit_id: int
    label: str
    ballot: Ballot | None


async def my_units(
    session: AsyncSession, vote: Vote, person_id: int, today: date
) -> list[UnitBallot]:
    """The units of this vote the person owns now, each with its ballot if cast."""
    rows = await session.execute(
        select(Unit.id, Building.name, Unit.number)
        .join(Building, Building.id == Unit.building_id)
        .join(VoteUnit, (VoteUnit.unit_id == Unit.id) & (VoteUnit.vote_id == vote.id))
        .join(Residency, Residency.unit_id == Unit.id)
        .where(owner_clause(today), Residency.person_id == person_id)
        .order_by(Building.name, Unit.number)
    )
    found = []
    for unit_id, building, number in rows.all():
        ballot = await session.scalar(
            select(Ballot).where(Ballot.vote_id == vote.id, Ballot.unit_id == unit_id)
        )
        found.append(UnitBallot(unit_id, f"{building}-{number}", ballot))
    return found


async def votes_of_owner(
    session: AsyncSession, person_id: int, now: datetime, today: date
) -> list[Vote]:
    """Votes open now, or closed in the last 30 days, on units this person owns."""
    rows = await session.scalars(
        select(Vote)
        .join(VoteUnit, VoteUnit.vote_id == Vote.id)
        .join(Residency, Residency.unit_id == VoteUnit.unit_id)
        .where(
            owner_clause(today),
            Residency.person_id == person_id,
            (Vote.status == VoteStatus.OPEN) | (Vote.closed_at >= now - ON_THE_LIST),
        )
        .distinct()
        .order_by(Vote.deadline)
    )
    return list(rows)


async def cast_ballot(
    session: AsyncSession,
    *,
    vote_id: int,
    unit_id: int,
    person_id: int,
    choice: VoteChoice,
    now: datetime,
    today: date,
) -> tuple[Ballot, bool]:
    """The unit's ballot and whether this cast is the one that counts (False: a
    co-owner's came first, and is returned)."""
    vote = await get_vote(session, vote_id)
    if vote.status != VoteStatus.OPEN or now >= vote.deadline:
        raise VoteError("closed")
    entitled = await session.get(VoteUnit, (vote_id, unit_id))
    if entitled is None:
        raise VoteError("not_entitled")
    owner = await session.scalar(
        select(Residency.id).where(
            owner_clause(today), Residency.person_id == person_id, Residency.unit_id == unit_id
        )
    )
    if owner is None:
        raise VoteError("not_owner")
    insert_fn: Any = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    new_id = (
        await session.execute(
            insert_fn(Ballot)
            .values(
                vote_id=vote_id,
                unit_id=unit_id,
                choice=choice,
                cast_by_person_id=person_id,
                cast_at=now,
            )
            .on_conflict_do_nothing(index_elements=["vote_id", "unit_id"])
            .returning(Ballot.id)
        )
    ).scalar()
    ballot = await session.scalar(
        select(Ballot).where(Ballot.vote_id == vote_id, Ballot.unit_id == unit_id)
    )
    assert ballot is not None
    if new_id is not None:
        # The audit names the unit and the voter, never the choice (secret ballots).
        await record_audit(
            session,
            "votes.cast",
            community_id=vote.community_id,
            actor_person_id=person_id,
            target_type="vote",
            target_id=vote_id,
            details={"unit_id": unit_id},
        )
    return ballot, new_id is not None


async def current_tally(session: AsyncSession, vote: Vote) -> Tally:
    rows = (
        await session.execute(
            select(VoteUnit.unit_id, VoteUnit.area_m2, VoteUnit.owner_key).where(
                VoteUnit.vote_id == vote.id
            )
        )
    ).all()
    units = {u: Decimal(a) for u, a, _ in rows}
    keys = {u: k for u, _, k in rows if k is not None}
    ballots = {
        u: VoteChoice(c)
        for u, c in (
            await session.execute(
                select(Ballot.unit_id, Ballot.choice)
                .where(Ballot.vote_id == vote.id)
                .order_by(Ballot.cast_at, Ballot.id)
            )
        ).all()
    }
    return tally(vote.matter, units, ballots, keys)


async def open_ballot_list(session: AsyncSession, vote: Vote) -> list[tuple[str, VoteChoice]]:
    """Each cast ballot by unit (open ballots only: a secret vote raises)."""
    if vote.secret:
        raise VoteError("secret")
    rows = await session.execute(
        select(Building.name, Unit.number, Ballot.choice)
        .join(Unit, Unit.id == Ballot.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Ballot.vote_id == vote.id)
        .order_by(Building.name, Unit.number)
    )
    return [(f"{b}-{n}", VoteChoice(c)) for b, n, c in rows.all()]


async def close_due(session: AsyncSession, now: datetime) -> list[Vote]:
    """Votes past their deadline: tallied, closed, audited (caller's transaction)."""
    due = list(
        await session.scalars(
            select(Vote).where(Vote.status == VoteStatus.OPEN, Vote.deadline <= now)
        )
    )
    for vote in due:
        result = await current_tally(session, vote)
        vote.status = VoteStatus.CLOSED
        vote.closed_at = now
        vote.result = result.as_dict()
        await record_audit(
            session,
            "votes.result",
            community_id=vote.community_id,
            target_type="vote",
            target_id=vote.id,
            details=vote.result,
        )
    return due


async def owners_of(
    session: AsyncSession, vote: Vote, today: date, *, not_voted: bool = False
) -> dict[int, int | None]:
    """Owners of the vote's units now (person id -> building id); with ``not_voted``,
    only of units without a ballot."""
    query = (
        select(Residency.person_id, Unit.building_id)
        .join(Unit, Unit.id == Residency.unit_id)
        .join(VoteUnit, (VoteUnit.unit_id == Unit.id) & (VoteUnit.vote_id == vote.id))
        .where(owner_clause(today))
        .order_by(Residency.person_id)
    )
    if not_voted:
        voted = select(Ballot.unit_id).where(Ballot.vote_id == vote.id)
        query = query.where(Unit.id.not_in(voted))
    people: dict[int, int | None] = {}
    for person_id, building_id in (await session.execute(query)).all():
        people.setdefault(person_id, building_id)
    return people


async def due_reminders(session: AsyncSession, now: datetime) -> list[Vote]:
    """Open votes within a day of their deadline not reminded yet (marked here)."""
    due = list(
        await session.scalars(
            select(Vote).where(
                Vote.status == VoteStatus.OPEN,
                Vote.reminded_at.is_(None),
                Vote.deadline <= now + REMIND_BEFORE,
                Vote.deadline > now,
            )
        )
    )
    for vote in due:
        vote.reminded_at = now
    return due


async def vote_notice(
    session: AsyncSession,
    vote: Vote,
    kind: NoticeKind,
    people: dict[int, int | None],
    *,
    now: datetime,
    today: date,
) -> int:
    """Queue one of the vote's messages (opening, reminder, result) to ``people``
    through the notice delivery; how many it goes to (0: nobody, nothing queued)."""
    if not people:
        return 0
    draft = NoticeDraft(
        kind=kind,
        audience=Audience.OWNERS,
        title=vote.question[:TITLE_MAX],
        body=vote.question,
        building_ids=list(vote.building_ids),
    )
    _, count = await create_notice(
        session,
        community_id=vote.community_id,
        author_person_id=None,
        draft=draft,
        send_at=now,
        now=now,
        today=today,
        people=people,
        vote_id=vote.id,
    )
    return count


async def recent_votes(session: AsyncSession, community_id: int, limit: int = 8) -> list[Vote]:
    rows = await session.scalars(
        select(Vote)
        .where(Vote.community_id == community_id)
        .order_by(Vote.created_at.desc(), Vote.id.desc())
        .limit(limit)
    )
    return list(rows)
