"""A staff member scans a checkpoint's QR (``t.me/<bot>?start=pc_<id>_<signature>``).

1. The link is checked (:func:`core.patrols.checkpoints.open_checkpoint`): a forged
   or voided link, a retired checkpoint, another community's checkpoint or a
   non-staff scanner is refused in plain words — audited, nothing recorded.
2. When the checkpoint has coordinates: the location (a button shares it).
3. When the checkpoint wants one: a photo (always for a fire lane, whose check
   then goes on in :mod:`.lane_check`: clear or blocked).
4. The visit is written in one transaction, with the time, the guard and the
   distance from the checkpoint, and confirmed.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.formatting import fmt_time
from core.identity import Identity
from core.models import Community
from core.patrols.checkpoints import Coordinates, PatrolError, open_checkpoint, record_visit
from core.patrols.models import CheckpointKind
from core.patrols.tokens import PREFIX
from handlers.kit import private_router
from handlers.patrols.lane_check import ask_verdict
from handlers.patrols.states import PatrolScan
from handlers.patrols.texts import refusal

router = private_router("patrols.scan")


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📍 Send my location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(PREFIX)), StateFilter("*"))
async def checkpoint_scanned(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    await state.clear()
    try:
        checkpoint = await open_checkpoint(
            session,
            secret_key=app.secret_key,
            payload=command.args or "",
            person_id=identity.person_id,
            telegram_id=identity.telegram_id,
        )
    except PatrolError as exc:
        await message.answer(refusal(exc.code))
        return
    await state.update_data(
        checkpoint_id=checkpoint.id,
        salt=checkpoint.salt,
        name=checkpoint.name,
        kind=checkpoint.kind.value,
        community_id=checkpoint.community_id,
        photo_required=checkpoint.photo_required,
    )
    title = _("📍 Checkpoint <b>{name}</b>").format(name=escape(checkpoint.name))
    if checkpoint.has_location:
        await state.set_state(PatrolScan.location)
        await message.answer(
            title + "\n" + _("Please send your location with the button below."),
            reply_markup=_location_keyboard(),
        )
    elif checkpoint.photo_required:
        await state.set_state(PatrolScan.photo)
        await message.answer(title + "\n" + _("Please send a photo of the checkpoint."))
    else:
        await _finish(message, state, session, identity, app, None, None)


@router.message(PatrolScan.location, F.location)
async def location_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    assert message.location is not None
    where = Coordinates(message.location.latitude, message.location.longitude)
    data = await state.get_data()
    if data.get("photo_required"):
        await state.update_data(latitude=where.latitude, longitude=where.longitude)
        await state.set_state(PatrolScan.photo)
        await message.answer(
            _("Thanks. Now a photo of the checkpoint, please."), reply_markup=ReplyKeyboardRemove()
        )
        return
    await _finish(message, state, session, identity, app, where, None)


@router.message(PatrolScan.location)
async def location_expected(message: Message) -> None:
    await message.answer(
        _("This checkpoint needs your location: press “📍 Send my location” below."),
        reply_markup=_location_keyboard(),
    )


@router.message(PatrolScan.photo, F.photo)
async def photo_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    assert message.photo
    data = await state.get_data()
    if data.get("kind") == CheckpointKind.FIRE_LANE:
        await ask_verdict(message, state, message.photo[-1])
        return
    where = None
    if data.get("latitude") is not None:
        where = Coordinates(data["latitude"], data["longitude"])
    await _finish(message, state, session, identity, app, where, message.photo[-1].file_id)


@router.message(PatrolScan.photo)
async def photo_expected(message: Message) -> None:
    await message.answer(_("This checkpoint needs a photo: please send one (not a file)."))


async def _finish(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    where: Coordinates | None,
    photo_file_id: str | None,
) -> None:
    locale = identity.locale or app.settings.default_locale
    data = await state.get_data()
    await state.clear()
    if identity.person_id is None:
        await message.answer(refusal("not_staff"), reply_markup=ReplyKeyboardRemove())
        return
    try:
        visit = await record_visit(
            session,
            checkpoint_id=data["checkpoint_id"],
            salt=data["salt"],
            person_id=identity.person_id,
            telegram_id=identity.telegram_id,
            now=app.clock.now(),
            location=where,
            photo_file_id=photo_file_id,
        )
    except PatrolError as exc:
        await message.answer(refusal(exc.code), reply_markup=ReplyKeyboardRemove())
        return
    community = await session.get(Community, visit.community_id)
    assert community is not None
    lines = [
        _("✅ Visit recorded: <b>{name}</b> at {time}.").format(
            name=escape(data["name"]),
            time=fmt_time(visit.visited_at, community.timezone, locale),
        )
    ]
    if visit.distance_m is not None:
        lines.append(
            _("You were {metres} m from the checkpoint.").format(metres=round(visit.distance_m))
        )
    await message.answer("\n".join(lines), reply_markup=ReplyKeyboardRemove())
