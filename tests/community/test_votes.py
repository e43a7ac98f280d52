"""Owners' votes: the art. 278 rules, one ballot per unit (co-owners racing on
PostgreSQL), tenants and late ballots refused, closing at the deadline."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.community.models import Ballot, VoteChoice, VoteMatter, VoteStatus
from core.community.tally import Tally, tally
from core.community.votes import VoteError, cast_ballot, close_due, open_vote
from core.models import ResidencyRole
from tests.factories import make_community, make_resident, make_unit

NOW = datetime(2030, 12, 3, 8, 0, tzinfo=UTC)
TODAY = date(2030, 12, 3)
A, X, N = VoteChoice.AGREE, VoteChoice.AGAINST, VoteChoice.ABSTAIN


def test_participation_needs_two_thirds_of_area_and_of_owners() -> None:
    units = {1: D(100), 2: D(100), 3: D(100)}
    assert not tally(VoteMatter.ORDINARY, units, {1: A}).quorum
    assert tally(VoteMatter.ORDINARY, units, {1: A, 2: X}).quorum
    # ⅔ of owners but not of the area: no quorum.
    big = {1: D(10), 2: D(10), 3: D(100)}
    result = tally(VoteMatter.ORDINARY, big, {1: A, 2: A})
    assert not result.quorum and not result.passed


def test_ordinary_needs_more_than_half_special_three_quarters() -> None:
    units = {i: D(100) for i in range(1, 5)}
    half = {1: A, 2: A, 3: X, 4: N}
    assert not tally(VoteMatter.ORDINARY, units, half).passed  # exactly half is not more
    assert tally(VoteMatter.ORDINARY, units, {1: A, 2: A, 3: A, 4: X}).passed
    assert tally(VoteMatter.SPECIAL, units, {1: A, 2: A, 3: A, 4: X}).passed  # ¾ exactly
    assert not tally(VoteMatter.SPECIAL, units, {1: A, 2: A, 3: X}).passed  # ⅔ < ¾
    # Agreeing owners are many, their area small: not passed.
    mixed = {1: D(10), 2: D(10), 3: D(10), 4: D(100)}
    assert not tally(VoteMatter.ORDINARY, mixed, {1: A, 2: A, 3: A, 4: X}).passed


def test_renovation_needs_every_household() -> None:
    units = {1: D(80), 2: D(90), 3: D(70)}
    assert not tally(VoteMatter.RENOVATION, units, {1: A, 2: A}).passed
    assert not tally(VoteMatter.RENOVATION, units, {1: A, 2: A, 3: N}).passed
    result = tally(VoteMatter.RENOVATION, units, {1: A, 2: A, 3: A})
    assert result.passed and Tally.from_dict(result.as_dict()) == result


async def _opened(session, matter=VoteMatter.ORDINARY, building_ids=()):
    community = await make_community(session)
    unit = await make_unit(session, community, "1栋", "101", area_m2="100")
    other = await make_unit(session, community, "1栋", "102", area_m2="50")
    tenant_unit = await make_unit(session, community, "2栋", "201", area_m2="70")
    wife, _ = await make_resident(session, unit, name="Wife")
    husband, _ = await make_resident(session, unit, name="Husband")
    neighbour, _ = await make_resident(session, other, name="Neighbour")
    tenant, _ = await make_resident(session, tenant_unit, role=ResidencyRole.TENANT)
    vote, count = await open_vote(
        session,
        community_id=community.id,
        person_id=None,
        question="Repaint the walls?",
        matter=matter,
        secret=True,
        building_ids=list(building_ids),
        deadline=NOW + timedelta(days=7),
        now=NOW,
        today=TODAY,
    )
    await session.commit()
    return community, vote, count, (unit, other, tenant_unit), (wife, husband, neighbour, tenant)


async def test_one_ballot_per_unit_tenant_refused_closed_after_deadline(session):
    _, vote, count, units, people = await _opened(session)
    assert count == 2  # the tenant's unit has no owner: not entitled
    unit, other, tenant_unit = units
    wife, husband, neighbour, tenant = people

    async def cast(person, unit_, choice, at=NOW):
        return await cast_ballot(
            session,
            vote_id=vote.id,
            unit_id=unit_.id,
            person_id=person.id,
            choice=choice,
            now=at,
            today=TODAY,
        )

    ballot, counted = await cast(wife, unit, A)
    assert counted
    ballot, counted = await cast(husband, unit, X)
    assert not counted and ballot.choice == A and ballot.cast_by_person_id == wife.id
    for person, unit_, code in [
        (tenant, tenant_unit, "not_entitled"),
        (neighbour, unit, "not_owner"),
    ]:
        with pytest.raises(VoteError) as refused:
            await cast(person, unit_, A)
        assert refused.value.code == code
    with pytest.raises(VoteError) as late:
        await cast(neighbour, other, A, NOW + timedelta(days=8))
    assert late.value.code == "closed"
    await session.commit()

    closed = await close_due(session, NOW + timedelta(days=8))
    assert [v.id for v in closed] == [vote.id] and vote.status == VoteStatus.CLOSED
    result = Tally.from_dict(vote.result)
    # 1 of 2 units and 100 of 150 m²: short of ⅔ of the owners.
    assert (result.voted_units, result.voted_area, result.quorum) == (1, D(100), False)


async def test_a_vote_with_no_owner_units_cannot_be_opened(session):
    community = await make_community(session)
    unit = await make_unit(session, community, "1栋", "101")
    await make_resident(session, unit, role=ResidencyRole.TENANT)
    with pytest.raises(VoteError) as refused:
        await open_vote(
            session,
            community_id=community.id,
            person_id=None,
            question="Q?",
            matter=VoteMatter.ORDINARY,
            secret=False,
            building_ids=[],
            deadline=NOW + timedelta(days=1),
            now=NOW,
            today=TODAY,
        )
    assert refused.value.code == "no_owner_units"


@pytest.mark.postgres
async def test_co_owners_racing_cast_exactly_one_ballot(session, session_factory, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the race is PostgreSQL's")
    _, vote, _, units, people = await _opened(session)
    unit = units[0]
    wife, husband = people[0], people[1]

    async def cast(person, choice):
        async with session_factory() as s:
            result = await cast_ballot(
                s,
                vote_id=vote.id,
                unit_id=unit.id,
                person_id=person.id,
                choice=choice,
                now=NOW,
                today=TODAY,
            )
            await s.commit()
            return result

    counted_total, ballot_ids = 0, set()
    for _ in range(5):
        results = await asyncio.gather(cast(wife, A), cast(husband, X), cast(husband, N))
        counted_total += sum(counted for _, counted in results)
        ballot_ids |= {b.id for b, _ in results}
    assert counted_total == 1 and len(ballot_ids) == 1
    count = await session.scalar(select(func.count()).select_from(Ballot))
    assert count == 1


async def test_privacy_export_lists_own_ballot_and_erasure_keeps_the_tally(session):
    from core.clock import FrozenClock
    from core.community.votes import current_tally
    from core.residents.own_data import erase_personal_data, personal_export

    _, vote, _, units, people = await _opened(session)  # a secret vote
    wife = people[0]
    await cast_ballot(
        session,
        vote_id=vote.id,
        unit_id=units[0].id,
        person_id=wife.id,
        choice=X,
        now=NOW,
        today=TODAY,
    )
    await session.commit()
    export = await personal_export(session, wife.id)
    [ballot] = export["community"]["ballots"]
    assert ballot["choice"] == "against" and ballot["unit"] == "1栋-101"

    await erase_personal_data(session, wife.id, clock=FrozenClock(NOW))
    await session.commit()
    assert (await personal_export(session, wife.id))["community"]["ballots"] == []
    stored = await session.scalar(select(Ballot))
    assert stored.cast_by_person_id is None and stored.choice == X
    assert (await current_tally(session, vote)).against_units == 1
