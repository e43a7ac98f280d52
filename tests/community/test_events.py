"""Community events' rules: capacity and the waitlist, promotion on cancel, closed
after the start, the audience, over-long words refused; concurrent sign-ups on
PostgreSQL never overfill an event."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from core.community.event_lists import attendees, personal_events
from core.community.event_models import SignupStatus
from core.community.events import (
    EventDraft,
    EventError,
    cancel,
    post_event,
    seats_taken,
    sign_up,
    upcoming_for,
)
from core.community.models import Audience
from core.models import ResidencyRole
from tests.factories import make_community, make_resident, make_unit

NOW = datetime(2030, 12, 3, 8, 0, tzinfo=UTC)
TODAY = date(2030, 12, 3)


async def _world(session, residents: int = 4):
    community = await make_community(session, "Events Garden")
    people = []
    for i in range(residents):
        unit = await make_unit(session, community, "1栋", f"{101 + i}")
        person, _ = await make_resident(session, unit, 9100 + i, f"Resident {i}")
        people.append(person)
    unit3 = await make_unit(session, community, "3栋", "301")
    tenant, _ = await make_resident(session, unit3, 9200, "Tenant", role=ResidencyRole.TENANT)
    await session.commit()
    return community, people, tenant


def _draft(**changes) -> EventDraft:
    values = dict(
        title="Dumpling party",
        description="Bring an apron.",
        place="Clubhouse",
        starts_at=NOW + timedelta(days=3),
        capacity=3,
    )
    values.update(changes)
    return EventDraft(**values)  # type: ignore[arg-type]


async def _post(session, community, **changes):
    event, count = await post_event(
        session,
        community_id=community.id,
        author_person_id=None,
        draft=_draft(**changes),
        now=NOW,
        today=TODAY,
    )
    await session.commit()
    return event, count


async def test_waitlist_and_promotion_in_order(session):
    community, (a, b, c, d), tenant = await _world(session)
    event, count = await _post(session, community)
    assert count == 5
    assert (await sign_up(session, event.id, a.id, 2, NOW, TODAY)).status == SignupStatus.GOING
    assert (await sign_up(session, event.id, b.id, 2, NOW, TODAY)).status == SignupStatus.WAITLIST
    assert (await sign_up(session, event.id, c.id, 1, NOW, TODAY)).status == SignupStatus.GOING
    assert (await sign_up(session, event.id, d.id, 1, NOW, TODAY)).status == SignupStatus.WAITLIST
    with pytest.raises(EventError) as err:
        await sign_up(session, event.id, a.id, 1, NOW, TODAY)
    assert err.value.code == "already"
    with pytest.raises(EventError) as err:
        await sign_up(session, event.id, tenant.id, 4, NOW, TODAY)
    assert err.value.code == "bad_seats"  # more than the event holds
    page, total = await attendees(session, event.id, 0, 10)
    assert total == 4
    assert [(x.name, x.seats, x.waitlisted) for x in page] == [
        ("Resident 0", 2, False),
        ("Resident 2", 1, False),
        ("Resident 1", 2, True),
        ("Resident 3", 1, True),
    ]
    # Two places free up: the first waitlisted group (2) fits, the next one does not.
    promoted = await cancel(session, event.id, a.id, NOW)
    assert [s.person_id for s in promoted] == [b.id]
    assert await seats_taken(session, event.id) == 3
    # A waitlisted cancel frees nothing.
    assert await cancel(session, event.id, d.id, NOW) == []
    # Signing up again after cancelling queues anew.
    again = await sign_up(session, event.id, a.id, 1, NOW, TODAY)
    assert again.status == SignupStatus.WAITLIST
    second, total = await attendees(session, event.id, 1, 2)  # the list, paged
    assert total == 3 and [(x.name, x.waitlisted) for x in second] == [("Resident 0", True)]
    assert (await personal_events(session, a.id))[0]["status"] == "waitlist"
    with pytest.raises(EventError) as err:
        await sign_up(session, event.id, d.id, 1, event.starts_at, TODAY)
    assert err.value.code == "closed"
    with pytest.raises(EventError) as err:
        await cancel(session, event.id, c.id, event.starts_at + timedelta(minutes=1))
    assert err.value.code == "closed"


async def test_audience_and_limits(session):
    community, (a, *_), tenant = await _world(session, residents=1)
    event, count = await _post(session, community, audience=Audience.TENANTS)
    assert count == 1
    with pytest.raises(EventError) as err:
        await sign_up(session, event.id, a.id, 1, NOW, TODAY)
    assert err.value.code == "not_invited"
    assert [e.id for e in await upcoming_for(session, tenant.id, NOW, TODAY)] == [event.id]
    assert await upcoming_for(session, a.id, NOW, TODAY) == []
    for changes, code in [
        ({"description": "x" * 3501}, "description_too_long"),
        ({"description": "x" * 701, "photo_file_id": "AgAD"}, "description_too_long"),
        ({"title": "t" * 101}, "title_too_long"),
        ({"capacity": 0}, "bad_capacity"),
        ({"starts_at": NOW - timedelta(minutes=1)}, "bad_time"),
    ]:
        with pytest.raises(EventError) as err:
            await _post(session, community, **changes)
        assert err.value.code == code


@pytest.mark.postgres
async def test_concurrent_sign_ups_never_exceed_capacity(session, session_factory, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the race is PostgreSQL's")
    community, people, _ = await _world(session, residents=8)
    event, _ = await _post(session, community, capacity=5)

    async def join(person):
        async with session_factory() as s:
            signup = await sign_up(s, event.id, person.id, 2, NOW, TODAY)
            await s.commit()
            return signup.status

    statuses = await asyncio.gather(*(join(p) for p in people))
    assert statuses.count(SignupStatus.GOING) == 2  # 2 + 2 of 5; a third 2 would overfill
    assert statuses.count(SignupStatus.WAITLIST) == 6
    assert await seats_taken(session, event.id) == 4
