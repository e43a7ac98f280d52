"""Who and what a ticket names, and the digest's timing, on the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.clock import FrozenClock
from core.tickets import digest, parties, service
from core.tickets.models import TicketKind
from tests.factories import make_community, make_resident, make_staff, make_unit

# 07:59 in Shanghai.
BEFORE_EIGHT = datetime(2026, 11, 24, 23, 59, tzinfo=UTC)


async def test_a_ticket_names_its_unit_reporter_and_assignee(session):
    community = await make_community(session, "阳光花园")
    unit = await make_unit(session, community, "3栋", "1201")
    resident, _ = await make_resident(session, unit, telegram_id=501)
    tech, _ = await make_staff(session, community, 601, "张师傅", service.StaffRole.TECHNICIAN)
    clock = FrozenClock(BEFORE_EIGHT)
    home = await service.file_ticket(
        session,
        clock,
        community=community,
        reporter_person_id=resident.id,
        kind=TicketKind.COMPLAINT,
        description="楼上装修太吵",
        unit_id=unit.id,
    )
    await service.take(session, clock, home, tech.id)
    common = await service.file_ticket(
        session,
        clock,
        community=community,
        reporter_person_id=resident.id,
        kind=TicketKind.SUGGESTION,
        description="池塘边多放几张长椅",
    )
    await session.commit()

    named = await parties.ticket_parties(session, home)
    assert named.community.id == community.id and named.unit_label == "3栋-1201"
    assert (named.reporter, named.assignee) == (resident, tech)
    named = await parties.ticket_parties(session, common)
    assert (named.unit_label, named.assignee) == (None, None)
    assert await parties.community_names(session, [community.id]) == {community.id: "阳光花园"}
    assert await parties.load_person(session, None) is None


async def test_the_digest_is_due_for_four_hours_from_the_digest_hour_and_claimed_once(session):
    community = await make_community(session, admin_chat_id=-1001)
    await make_community(session)  # no admin group: no digest
    await session.commit()
    assert digest.digest_day(community, BEFORE_EIGHT) is None
    at_eight = BEFORE_EIGHT + timedelta(minutes=1)
    assert digest.digest_day(community, at_eight) == date(2026, 11, 25)
    assert digest.digest_day(community, at_eight + timedelta(hours=3, minutes=59)) is not None
    assert digest.digest_day(community, at_eight + timedelta(hours=4)) is None
    community.config = {"tickets": {"digest_hour": 7}}
    assert digest.digest_day(community, BEFORE_EIGHT) == date(2026, 11, 25)

    assert [c.id for c in await digest.digest_communities(session)] == [community.id]
    assert await digest.claim_digest(session, community.id, date(2026, 11, 25), at_eight)
    assert not await digest.claim_digest(session, community.id, date(2026, 11, 25), at_eight)
    assert await digest.claim_digest(session, community.id, date(2026, 11, 26), at_eight)
