"""The photos of an enrollment, for oneself or a household member (after consent).

1. Ask for one to the service's ``max_photos`` photos, with what makes a good one.
2. Each photo (or picture sent as a file) is checked: a file that is not a picture,
   or larger than the engine takes, is refused before download; otherwise it is
   downloaded into memory (never to disk), checked by the engine in a worker thread
   while the chat shows "checking…", and either accepted — its template written as
   a pending row of this enrollment — or refused with what to fix. The first photo
   must face the camera, the second be turned slightly to one side, the third to the
   other (:mod:`access.faces.pose`).
3. "Done" swaps the person's templates for the pending ones in one transaction;
   the gate's index follows at once. "Cancel" (or leaving the flow) discards them.
4. When the new face is nearer than the look-alike guard to someone already enrolled,
   both are told, in their own language, that face alone no longer opens for them.
"""

from __future__ import annotations

import html
import io
import logging

from aiogram import Bot, F
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces import FaceEngineNotReady, FaceProblem
from access.faces.pose import PoseProblem
from access.faces.quality import PHOTO_MIME_TYPES
from access.faces.store import (
    FaceError,
    add_pending_template,
    finish_enrollment,
    new_enrollment_key,
)
from access.lookups import community_by_id, person_by_id
from bot.context import AppContext
from bot.notify import send_to_person
from core.identity import Identity
from core.models import Community
from handlers.faces.texts import (
    error_text,
    lookalike_notice,
    lookalike_text,
    next_pose_text,
    pose_text,
    problem_text,
    too_many_text,
)
from handlers.faces.views import (
    FaceCb,
    FaceFlow,
    drop_buttons,
    leave_flow,
    photos_keyboard,
)
from handlers.kit import answer_query, commit_before_send, private_router, reply

log = logging.getLogger(__name__)

router = private_router("faces.enroll")


async def start_photos(
    event: Message | CallbackQuery,
    state: FSMContext,
    app: AppContext,
    community: Community,
    subject_id: int,
    name: str,
    *,
    self_: bool,
) -> None:
    await state.set_state(FaceFlow.photos)
    await state.update_data(
        cid=community.id, pid=subject_id, name=name, enr=new_enrollment_key(), accepted=0
    )
    limit = app.faces.max_photos
    if self_:
        text = _(
            "📸 Now send 1 to {limit} selfies, as photos.\n"
            "• the first one looking straight into the camera, your face filling a good part "
            "of the picture;\n"
            "• then one with the head turned slightly to one side, and one slightly to the "
            "other side — the gate may ask you to turn your head;\n"
            "• good light on your face, nothing covering it; only you in the picture."
        ).format(limit=limit)
    else:
        text = _(
            "📸 Now send 1 to {limit} photos of {name}, as photos.\n"
            "• the first with {name} looking straight into the camera, the face filling a "
            "good part of the picture;\n"
            "• then one with the head turned slightly to one side, and one slightly to the "
            "other side;\n"
            "• good light on the face, nothing covering it; only {name} in the picture."
        ).format(name=html.escape(name), limit=limit)
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await target.answer(text, reply_markup=photos_keyboard(0, subject_id))


@router.message(FaceFlow.photos, F.photo | F.document)
async def photo_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    bot: Bot,
) -> None:
    """A photo (its largest size), or a picture sent as a file."""
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        file_id, file_size = largest.file_id, largest.file_size
    else:
        document = message.document
        assert document is not None
        if (document.mime_type or "") not in PHOTO_MIME_TYPES:
            data = await state.get_data()
            await message.answer(
                _("That file is not a picture. Please send a photo (JPEG or PNG)."),
                reply_markup=photos_keyboard(int(data.get("accepted", 0)), int(data.get("pid", 0))),
            )
            return
        file_id, file_size = document.file_id, document.file_size
    await _check_photo(message, state, session, identity, app, bot, file_id, file_size)


@router.message(FaceFlow.photos)
async def photos_other(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    accepted = int(data.get("accepted", 0))
    text = _("Please send a photo of the face (or press a button below).")
    if accepted:
        text = _(
            "Please send another photo of the face, or press ✅ Done to finish with {count}."
        ).format(count=accepted)
    await message.answer(text, reply_markup=photos_keyboard(accepted, int(data.get("pid", 0))))


async def _check_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    bot: Bot,
    file_id: str,
    file_size: int | None,
) -> None:
    data = await state.get_data()
    subject_id, cid = int(data["pid"]), int(data["cid"])
    accepted = int(data.get("accepted", 0))
    limit, max_bytes = app.faces.max_photos, app.faces.max_image_bytes
    if identity.person_id is None:
        return
    if accepted >= limit:
        await message.answer(
            _("You have sent {limit} photos already. Press ✅ Done to finish.").format(limit=limit),
            reply_markup=photos_keyboard(accepted, subject_id),
        )
        return
    if file_size is not None and file_size > max_bytes:
        await message.answer(
            problem_text(FaceProblem.IMAGE_TOO_LARGE, max_image_bytes=max_bytes),
            reply_markup=photos_keyboard(accepted, subject_id),
        )
        return
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO)
    progress = await message.reply(_("🔎 Checking the photo…"))
    try:
        # In memory only: the photo never touches the disk and is dropped after the check.
        buffer = io.BytesIO()
        await bot.download(file_id, destination=buffer)
        image = buffer.getvalue()
        pose: PoseProblem | None = None
        side = 0
        if len(image) > max_bytes:
            analysis = None
            problem: FaceProblem | None = FaceProblem.IMAGE_TOO_LARGE
        else:
            analysis, pose, side = await app.faces.analyze_enrollment(
                image, accepted + 1, int(data.get("side", 0))
            )
            problem = analysis.problem
        del image, buffer
    except FaceEngineNotReady:
        log.exception("face engine not ready")
        await progress.edit_text(
            _(
                "Face checking is not available right now, sorry. Please try again later — "
                "codes and opening from this chat work as usual."
            )
        )
        return
    except TelegramBadRequest as exc:
        # Telegram refuses to hand over files above 20 MB; anything else is unreadable.
        too_big = "too big" in str(exc).lower()
        refused = FaceProblem.IMAGE_TOO_LARGE if too_big else FaceProblem.NOT_AN_IMAGE
        await progress.edit_text(
            problem_text(refused, max_image_bytes=max_bytes),
            reply_markup=photos_keyboard(accepted, subject_id),
        )
        return
    if analysis is None or analysis.template is None:
        faces = analysis.faces if analysis is not None else 0
        await progress.edit_text(
            problem_text(problem or FaceProblem.NO_FACE, max_image_bytes=max_bytes, faces=faces),
            reply_markup=photos_keyboard(accepted, subject_id),
        )
        return
    if pose is not None:
        await progress.edit_text(
            pose_text(pose), reply_markup=photos_keyboard(accepted, subject_id)
        )
        return
    try:
        count = await add_pending_template(
            session,
            community_id=cid,
            person_id=subject_id,
            actor_person_id=identity.person_id,
            enrollment=data["enr"],
            template=analysis.template,
            model=app.faces.model,
            secret_key=app.secret_key,
            now=app.clock.now(),
        )
    except FaceError as exc:
        if exc.code == "too_many":
            await progress.edit_text(
                too_many_text(limit), reply_markup=photos_keyboard(accepted, subject_id)
            )
            return
        await state.clear()
        await progress.edit_text(error_text(exc.code))
        return
    await state.update_data(accepted=count, side=side if count == 2 else data.get("side", 0))
    if count >= limit:
        text = _("✅ Photo {count} of {limit} accepted. Press ✅ Done to finish.")
    else:
        text = _(
            "✅ Photo {count} of up to {limit} accepted. Send another, or press ✅ Done to finish."
        )
    text = text.format(count=count, limit=limit)
    if count < limit:
        text += "\n" + next_pose_text(count)
    await progress.edit_text(text, reply_markup=photos_keyboard(count, subject_id))


@router.callback_query(FaceFlow.photos, FaceCb.filter(F.action == "done"))
async def photos_done(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    data = await state.get_data()
    if identity.person_id is None or not data.get("enr"):
        await answer_query(query, _("This button is no longer active."))
        return
    cid, subject_id = int(data["cid"]), int(data["pid"])
    community = await community_by_id(session, cid)
    try:
        enrolled = await finish_enrollment(
            session,
            community_id=cid,
            person_id=subject_id,
            actor_person_id=identity.person_id,
            enrollment=data["enr"],
            model=app.faces.model,
            secret_key=app.secret_key,
            guard=app.faces.lookalike_guard,
            now=app.clock.now(),
        )
    except FaceError as exc:
        if exc.code != "no_templates":
            await state.clear()
        await reply(query, error_text(exc.code), alert=True)
        return
    await state.clear()
    # The gate's index is rebuilt from the database on its own connection, and the
    # person may walk to the gate as soon as they are told: both must find the rows.
    await commit_before_send(session)
    await refresh_index(app, cid)
    await answer_query(query)
    name = html.escape(data.get("name", ""))
    where = html.escape(community.name) if community else ""
    if subject_id == identity.person_id:
        text = _(
            "✅ Face access is on (photos enrolled: {count}). The gates of {community} now "
            "recognise you."
        ).format(count=enrolled.templates, community=where)
        text += "\n" + _("You can delete it at any time: Face access → 🗑 Delete my face data.")
    else:
        text = _("✅ Face access is on for {name} (photos enrolled: {count}).").format(
            name=name, count=enrolled.templates
        )
        text += "\n" + _("You can delete it at any time: Face access → 👪 Household members.")
    if enrolled.lookalikes:
        text += "\n\n" + lookalike_text(self_=subject_id == identity.person_id, name=name)
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await query.message.answer(text)
    for pair in enrolled.lookalikes:
        await _tell_lookalike(app, session, pair.other_person_id)


async def _tell_lookalike(app: AppContext, session: AsyncSession, person_id: int) -> None:
    """The resident already enrolled learns, in their language, why face alone stopped."""
    person = await person_by_id(session, person_id)
    if person is None:
        return
    delivery = await send_to_person(app, person, lookalike_notice)
    if not delivery.ok:
        log.warning(
            "look-alike notice not delivered",
            extra={"fields": {"person": person_id, "reason": delivery.reason}},
        )


@router.callback_query(FaceFlow.photos, FaceCb.filter(F.action == "cancel"))
async def photos_cancel(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await leave_flow(state, session)
    await answer_query(query)
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await query.message.answer(
            _("Cancelled. Nothing was stored; the photos you sent here were not kept.")
        )


async def refresh_index(app: AppContext, community_id: int) -> None:
    try:
        await app.faces.changed(community_id)
    except Exception:
        # The gate re-reads the change counter before every decision, so it catches up
        # anyway; this was only to have it ready.
        log.exception("face index refresh failed", extra={"fields": {"community": community_id}})
