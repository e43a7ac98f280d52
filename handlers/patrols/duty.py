"""The staff on duty for each patrol route, in the admin group.

- ``/route_guard route | name, name``: the route's guards (full names or
  @usernames of staff who may walk patrols), replacing the old ones; an empty
  list clears them. A missed round's alert names those on duty (the rota
  narrows them to who was on shift, :mod:`core.patrols.duty`).
- ``/routes``: every route with its stops, schedule and guards.

A line that does not parse, an unknown route or person, or someone who may not
walk patrols is answered with what was wrong; nothing is changed then.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.models import Community, Person
from core.patrols.checkpoints import PatrolError
from core.patrols.duty import routes_with_guards, set_route_guards
from handlers.kit import admin_router, group_command
from handlers.patrols.texts import fmt_schedule

router = admin_router("patrols.duty")

group_command("route_guard", __("Guards on duty for a route: route | name, name"), order=63)
group_command("routes", __("Patrol routes with their schedules and guards"), order=63)


def _usage() -> str:
    return _(
        "Usage: /route_guard route | staff names or @usernames, separated by commas\n"
        "Example: /route_guard Night round | Zhao Guard, @qian"
    )


def _error(code: str) -> str:
    texts = {
        "unknown_route": _("There is no such route here: see /routes."),
        "unknown_staff": _("One of these names is not an active staff member here."),
        "ambiguous_staff": _("One of these names fits several staff members: use the @username."),
        "not_a_guard": _(
            "One of them may not walk patrols (managers, technicians and guards may)."
        ),
    }
    return texts.get(code, _("Name each guard once, at most ten."))


def _names(people: list[Person]) -> str:
    return "、".join(escape(p.full_name) for p in people) or _("nobody named")


@router.message(Command("route_guard"), flags={"staff": "patrols.manage"})
async def route_guard(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    route_ref, sep, names_text = (command.args or "").partition("|")
    if not sep or not route_ref.strip() or len(names_text) > 500:
        await message.reply(_usage())
        return
    names = [n.strip() for n in names_text.replace("，", ",").replace("、", ",").split(",")]
    try:
        route, people = await set_route_guards(
            session,
            community,
            route_ref,
            [n for n in names if n],
            actor_person_id=identity.person_id,
        )
    except PatrolError as exc:
        await message.reply(_error(exc.code))
        return
    await message.reply(
        _("✅ Route <b>{route}</b>: on duty {names}.").format(
            route=escape(route.name), names=_names(people)
        )
    )


@router.message(Command("routes"), flags={"staff": "patrols.report"})
async def routes_list(message: Message, community: Community, session: AsyncSession) -> None:
    lines = [_("<b>🛡 Patrol routes</b>")]
    for route, guards in await routes_with_guards(session, community.id):
        stops = " → ".join(escape(stop.checkpoint.name) for stop in route.stops)
        lines.append(
            _("<b>{route}</b>: {stops}\nRounds: {schedule}. On duty: {names}.").format(
                route=escape(route.name),
                stops=stops,
                schedule=fmt_schedule(route),
                names=_names(guards),
            )
        )
    if len(lines) == 1:
        lines.append(_("No patrol routes yet: add one with /route_add."))
    await message.reply("\n\n".join(lines))
