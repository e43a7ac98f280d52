"""Who is on duty for a patrol route's rounds.

A manager names the guards of a route (``RouteGuard`` rows, replaced as a whole).
For one round window the guards on duty are:

- the route's guards with a shift in the rota (:mod:`core.shifts`) overlapping
  the window; when none of them has such a shift, all the route's guards (the
  rota is optional, the route's duty is not);
- a route without guards: everyone with a rota shift overlapping the window who
  may walk patrols (the ``patrols.visit`` row of :mod:`core.permissions`).

A missed round's alert names them (:func:`core.patrols.rounds.close_due_rounds`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.models import Community, Person, Staff
from core.patrols.checkpoints import PatrolError
from core.patrols.models import PatrolRoute, RouteGuard
from core.patrols.routes import active_routes
from core.permissions import active_staff_role, may
from core.shifts.models import Shift
from core.shifts.service import ShiftError, find_staff

MAX_GUARDS = 10


async def find_route(session: AsyncSession, community_id: int, ref: str) -> PatrolRoute:
    """An active route of the community by its name or ``#id``."""
    ref = ref.strip()
    query = select(PatrolRoute).where(
        PatrolRoute.community_id == community_id, PatrolRoute.active.is_(True)
    )
    if ref.lstrip("#").isdigit():
        query = query.where(
            or_(PatrolRoute.id == int(ref.lstrip("#")), func.lower(PatrolRoute.name) == ref.lower())
        )
    else:
        query = query.where(func.lower(PatrolRoute.name) == ref.lower())
    route = await session.scalar(query.limit(1))
    if route is None:
        raise PatrolError("unknown_route")
    return route


async def set_route_guards(
    session: AsyncSession,
    community: Community,
    route_ref: str,
    names: list[str],
    *,
    actor_person_id: int | None,
) -> tuple[PatrolRoute, list[Person]]:
    """Replace the route's guards with the staff named (full name or @username),
    each of whom may walk patrols; an empty list clears them."""
    route = await find_route(session, community.id, route_ref)
    if len(names) > MAX_GUARDS or len({n.lower() for n in names}) != len(names):
        raise PatrolError("bad_guards")
    people: list[Person] = []
    for name in names:
        try:
            person = await find_staff(session, community.id, name)
        except ShiftError as exc:
            raise PatrolError(exc.code) from exc
        if not may(await active_staff_role(session, person.id, community.id), "patrols.visit"):
            raise PatrolError("not_a_guard")
        people.append(person)
    await session.execute(delete(RouteGuard).where(RouteGuard.route_id == route.id))
    session.add_all(RouteGuard(route_id=route.id, person_id=p.id) for p in people)
    await session.flush()
    await record_audit(
        session,
        "patrols.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="patrol_route",
        target_id=route.id,
        details={"guards": [p.id for p in people]},
    )
    return route, people


async def route_guards(session: AsyncSession, route_id: int) -> list[Person]:
    rows = await session.scalars(
        select(Person)
        .join(RouteGuard, RouteGuard.person_id == Person.id)
        .where(RouteGuard.route_id == route_id)
        .order_by(RouteGuard.id)
    )
    return list(rows.all())


async def on_duty(
    session: AsyncSession, route: PatrolRoute, start: datetime, end: datetime
) -> list[str]:
    """The names of the staff on duty for the route's round ``[start, end)``."""
    on_shift = set(
        (
            await session.scalars(
                select(Shift.person_id).where(
                    Shift.community_id == route.community_id,
                    Shift.starts_at < end,
                    Shift.ends_at > start,
                )
            )
        ).all()
    )
    guards = await route_guards(session, route.id)
    if guards:
        chosen = [p for p in guards if p.id in on_shift] or guards
        return [p.full_name for p in chosen]
    if not on_shift:
        return []
    rows = await session.execute(
        select(Person.full_name, Staff.role)
        .join(Staff, Staff.person_id == Person.id)
        .where(
            Staff.community_id == route.community_id,
            Staff.active.is_(True),
            Person.id.in_(on_shift),
        )
        .order_by(Person.id)
    )
    return [name for name, role in rows.all() if may(role, "patrols.visit")]


async def routes_with_guards(
    session: AsyncSession, community_id: int
) -> list[tuple[PatrolRoute, list[Person]]]:
    return [
        (route, await route_guards(session, route.id))
        for route in await active_routes(session, community_id)
    ]
