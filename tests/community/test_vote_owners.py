"""Civil Code art. 278 counts owners, the area sums units: an owner of several
units is one owner in the headcount (the SPC's interpretation, art. 9)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

from core.community.models import VoteChoice, VoteMatter
from core.community.tally import Tally, owner_keys, tally
from core.community.votes import cast_ballot, close_due, open_vote
from core.db import utcnow
from core.models import Residency, ResidencyRole, ResidencyStatus
from tests.factories import make_community, make_resident, make_unit

NOW = datetime(2030, 12, 3, 8, 0, tzinfo=UTC)
TODAY = date(2030, 12, 3)
A, X = VoteChoice.AGREE, VoteChoice.AGAINST


def test_owner_of_several_units_is_one_owner() -> None:
    units = {1: D(100), 2: D(100), 3: D(100)}
    # One investor owns 1 and 2; unit 3 has its own owner.
    keys = owner_keys([1, 2, 3], [(1, 7), (2, 7), (3, 8)])
    assert keys == {1: 1, 2: 1, 3: 3}
    result = tally(VoteMatter.ORDINARY, units, {1: A, 2: A}, keys)
    # Two units and ⅔ of the area took part, but one owner of two: short of ⅔ of owners.
    assert (result.eligible_owners, result.voted_owners, result.voted_units) == (2, 1, 2)
    assert not result.quorum
    # The investor's first ballot decides their headcount; the area counts both units.
    result = tally(VoteMatter.ORDINARY, units, {1: X, 3: A, 2: A}, keys)
    assert (result.agree_owners, result.against_owners, result.agree_area) == (1, 1, D(200))
    assert not result.passed  # 1 of 2 owners is not more than half
    assert Tally.from_dict(result.as_dict()) == result
    # A co-owner links units too: 1 and 2 share person 7, 2 and 3 share person 9.
    assert owner_keys([1, 2, 3], [(1, 7), (2, 7), (2, 9), (3, 9)]) == {1: 1, 2: 1, 3: 1}


def test_a_result_kept_before_owners_were_counted_reads_units_as_owners() -> None:
    old = tally(VoteMatter.ORDINARY, {1: D(50), 2: D(50)}, {1: A}).as_dict()
    for part in ("eligible", "voted", "agree", "against", "abstain"):
        del old[f"{part}_owners"]
    assert Tally.from_dict(old).eligible_owners == 2


async def test_vote_counts_an_owner_of_two_units_once(session):
    community = await make_community(session)
    flat = await make_unit(session, community, "1栋", "101", area_m2="100")
    second = await make_unit(session, community, "1栋", "102", area_m2="100")
    other = await make_unit(session, community, "2栋", "201", area_m2="100")
    investor, _ = await make_resident(session, flat, name="Investor")
    session.add(
        Residency(
            person_id=investor.id,
            unit_id=second.id,
            role=ResidencyRole.OWNER,
            status=ResidencyStatus.ACTIVE,
            start_date=date(2020, 1, 1),
            decided_at=utcnow(),
        )
    )
    await make_resident(session, other, name="Neighbour")
    vote, count = await open_vote(
        session,
        community_id=community.id,
        person_id=None,
        question="New gate?",
        matter=VoteMatter.ORDINARY,
        secret=False,
        building_ids=[],
        deadline=NOW + timedelta(days=7),
        now=NOW,
        today=TODAY,
    )
    assert count == 3
    for unit in (flat, second):
        await cast_ballot(
            session,
            vote_id=vote.id,
            unit_id=unit.id,
            person_id=investor.id,
            choice=A,
            now=NOW,
            today=TODAY,
        )
    await session.commit()
    await close_due(session, NOW + timedelta(days=8))
    result = Tally.from_dict(vote.result or {})
    assert (result.eligible_owners, result.voted_owners) == (2, 1)
    assert (result.voted_units, result.voted_area) == (2, D(200))
    assert not result.quorum and not result.passed
