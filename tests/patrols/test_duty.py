"""Who is on duty for a round: the route's guards, narrowed by the rota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.models import StaffRole
from core.patrols.checkpoints import PatrolError, create_checkpoint
from core.patrols.duty import on_duty, set_route_guards
from core.patrols.routes import create_route, parse_schedule
from core.shifts.models import Shift
from tests.factories import make_staff
from tests.patrols.conftest import build_world

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
END = START + timedelta(hours=2)


async def test_guards_narrowed_by_the_rota(session):
    world = await build_world(session)
    point = await create_checkpoint(
        session,
        world.community,
        name="Gate",
        place="",
        coordinates=None,
        photo_required=False,
        actor_person_id=None,
    )
    schedule = parse_schedule("22:00-02:00/2h")
    assert schedule is not None
    route = await create_route(
        session,
        world.community,
        name="Night",
        checkpoint_ids=[point.id],
        schedule=schedule,
        actor_person_id=None,
    )
    # Nobody named and nobody on shift: nobody to name.
    assert await on_duty(session, route, START, END) == []
    # Not named, but on shift in the rota: the guard is on duty.
    session.add(
        Shift(
            community_id=world.community.id,
            person_id=world.guard.id,
            starts_at=START - timedelta(hours=2),
            ends_at=START + timedelta(hours=10),
        )
    )
    await session.flush()
    assert await on_duty(session, route, START, END) == ["Zhao Guard"]
    # Both named: only the one on shift; another night (no shift): both.
    _, people = await set_route_guards(
        session,
        world.community,
        f"#{route.id}",
        ["Li Manager", "Zhao Guard"],
        actor_person_id=None,
    )
    assert [p.full_name for p in people] == ["Li Manager", "Zhao Guard"]
    assert await on_duty(session, route, START, END) == ["Zhao Guard"]
    later = START + timedelta(days=1)
    assert await on_duty(session, route, later, later + timedelta(hours=2)) == [
        "Li Manager",
        "Zhao Guard",
    ]
    # An accountant may not walk patrols; a name given twice is refused.
    await make_staff(session, world.community, 790, "Sun Accounts", StaffRole.ACCOUNTANT)
    with pytest.raises(PatrolError) as refused:
        await set_route_guards(
            session, world.community, "night", ["Sun Accounts"], actor_person_id=None
        )
    assert refused.value.code == "not_a_guard"
    with pytest.raises(PatrolError):
        await set_route_guards(
            session, world.community, "Night", ["Zhao Guard", "zhao guard"], actor_person_id=None
        )
