"""Setting up patrols in the admin group (managers), one command each.

- ``/checkpoint_add name | place | [lat, lon] | [photo]``: a checkpoint; the
  answer repeats what was understood and points to ``/checkpoints`` for the sheet.
- ``/route_add name | 1, 2, 3 | 22:00-06:00/2h``: a route through checkpoints (by
  their numbers in ``/checkpoints``, in walking order) and its round schedule in
  the community's time.

A line that does not parse is answered with the usage and what was wrong.
"""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import Identity
from core.models import Community
from core.patrols.checkpoints import Coordinates, PatrolError, create_checkpoint, parse_coordinates
from core.patrols.models import Checkpoint, CheckpointKind
from core.patrols.routes import create_route, parse_schedule
from handlers.kit import admin_router, group_command
from handlers.patrols.texts import fmt_schedule

router = admin_router("patrols.setup")

group_command(
    "checkpoint_add", __("Add a patrol checkpoint: name | place | [lat, lon] | [photo]"), order=60
)
group_command("route_add", __("Add a patrol route: name | 1, 2, 3 | 22:00-06:00/2h"), order=62)

PHOTO_WORDS = {"photo", "拍照", "照片"}


def _checkpoint_usage() -> str:
    return _(
        "Usage: /checkpoint_add name | place | [latitude, longitude] | [photo]\n"
        "Example: /checkpoint_add North gate | Building 3, north side | 31.2304, 121.4737 | photo"
    )


def _parts(command: CommandObject) -> list[str]:
    return [part.strip() for part in (command.args or "").split("|")]


@router.message(Command("checkpoint_add"), flags={"staff": "patrols.manage"})
async def checkpoint_add(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    parts = _parts(command)
    if len(parts) < 2 or not parts[0] or len(parts[0]) > 80 or len(parts[1]) > 160:
        await message.reply(_checkpoint_usage())
        return
    name, place, rest = parts[0], parts[1], parts[2:]
    coordinates: Coordinates | None = None
    photo = False
    for extra in rest:
        if not extra:
            continue
        if extra.lower() in PHOTO_WORDS:
            photo = True
            continue
        coordinates = parse_coordinates(extra)
        if coordinates is None:
            await message.reply(
                _("“{text}” is not a location (latitude, longitude) nor “photo”.").format(
                    text=escape(extra)
                )
                + "\n"
                + _checkpoint_usage()
            )
            return
    checkpoint = await add_checkpoint(
        message,
        session,
        community,
        identity,
        name=name,
        place=place,
        coordinates=coordinates,
        photo=photo,
        kind=CheckpointKind.PATROL,
    )
    if checkpoint is None:
        return
    lines = [
        _("✅ Checkpoint #{number} <b>{name}</b> added ({place}).").format(
            number=checkpoint.id, name=escape(name), place=escape(place)
        ),
        _("Location asked: {answer}").format(answer=_("yes") if coordinates else _("no")),
        _("Photo required: {answer}").format(answer=_("yes") if photo else _("no")),
        _("Print the QR sheet with /checkpoints."),
    ]
    await message.reply("\n".join(lines))


async def add_checkpoint(
    message: Message,
    session: AsyncSession,
    community: Community,
    identity: Identity,
    *,
    name: str,
    place: str,
    coordinates: Coordinates | None,
    photo: bool,
    kind: CheckpointKind,
) -> Checkpoint | None:
    """The new checkpoint, or None when the name is taken (the sender is told)."""
    try:
        return await create_checkpoint(
            session,
            community,
            name=name,
            place=place,
            coordinates=coordinates,
            photo_required=photo,
            actor_person_id=identity.person_id,
            kind=kind,
        )
    except PatrolError:
        taken = _("A checkpoint named “{name}” already exists.")
        await message.reply(taken.format(name=escape(name)))
        return None


def _route_usage() -> str:
    return _(
        "Usage: /route_add name | checkpoint numbers in walking order | schedule\n"
        "Example: /route_add Night round | 1, 2, 3 | 22:00-06:00/2h"
    )


@router.message(Command("route_add"), flags={"staff": "patrols.manage"})
async def route_add(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    identity: Identity,
) -> None:
    parts = _parts(command)
    if len(parts) != 3 or not parts[0] or len(parts[0]) > 80:
        await message.reply(_route_usage())
        return
    name, stops_text, schedule_text = parts
    try:
        ids = [int(x.strip().lstrip("#")) for x in stops_text.replace("，", ",").split(",")]
    except ValueError:
        await message.reply(
            _("The checkpoints must be numbers from /checkpoints, separated by commas.")
            + "\n"
            + _route_usage()
        )
        return
    schedule = parse_schedule(schedule_text)
    if schedule is None:
        await message.reply(
            _(
                "“{text}” is not a schedule: write start-end/interval, such as 22:00-06:00/2h "
                "or 08:00-20:00/90m (at least 10 minutes, at most the whole span)."
            ).format(text=escape(schedule_text))
        )
        return
    try:
        route = await create_route(
            session,
            community,
            name=name,
            checkpoint_ids=ids,
            schedule=schedule,
            actor_person_id=identity.person_id,
        )
    except PatrolError as exc:
        texts = {
            "name_taken": _("A route named “{name}” already exists.").format(name=escape(name)),
            "bad_stops": _("List each checkpoint once."),
        }
        await message.reply(
            texts.get(
                exc.code, _("Some of these numbers are not checkpoints here: see /checkpoints.")
            )
        )
        return
    stops = " → ".join(escape(stop.checkpoint.name) for stop in route.stops)
    await message.reply(
        _("✅ Route <b>{name}</b>: {stops}\nRounds: {schedule}.").format(
            name=escape(name), stops=stops, schedule=fmt_schedule(route)
        )
    )
