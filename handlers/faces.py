"""Face access in the chat: consent, enrollment by selfie, deletion, household members,
and the enrolled count for staff.

A resident opens "🙂 Face access" (or /face):

1. **Consent first**, separate and explicit: what is stored (a numeric template, never
   the photo), where (this community's own database), for how long (until deleted or
   move-out), that the photos travel through Telegram, and that codes, cards and remote
   opening stay available. Two buttons; the consent is recorded with the text's version,
   the SHA-256 of exactly the text shown (the message as the person saw it), the
   language and the time.
2. **1–3 selfies.** Each is downloaded into memory (never to disk), checked by the engine
   in a worker thread while the chat shows "checking…", and either accepted or refused
   with what to fix. "Done" swaps the person's templates for the new ones in one
   transaction; the gate's index follows at once.
3. **"Delete my face data"** deletes at once and says so.

An owner may enroll household members of their unit: a child under 14 with their own
guardian consent; an adult without Telegram after confirming the adult agreed; an adult
with Telegram only after that person agreed in their own chat.

In the admin group, ``/faces`` shows staff how many residents are enrolled — never whose
templates, never a photo.
"""

from __future__ import annotations

import html
import io
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces import FaceEngineNotReady, FaceProblem
from access.faces.models import ConsentKind
from access.faces.store import (
    CONSENT_TEXT_VERSION,
    FaceError,
    active_consent,
    add_pending_template,
    delete_face_data,
    discard_enrollment,
    enrollment_counts,
    face_status,
    finish_enrollment,
    household_members,
    household_unit,
    is_active_resident,
    new_enrollment_key,
    record_consent,
    text_digest,
)
from bot.commands import group_command, private_command
from bot.context import AppContext
from bot.notify import send_to_person
from core.formatting import fmt_date, local_dt
from core.identity import Identity
from core.models import Community, Person, ResidencyRole
from handlers.faces_common import problem_text
from handlers.menu import menu_entry, residents
from handlers.staff import AdminGroup, ensure_staff

log = logging.getLogger(__name__)

router = Router(name="faces")
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")
staff_router = Router(name="faces.staff")

menu_entry("faces", __("🙂 Face access"), residents, order=35)
private_command("face", __("Face access: enroll or delete my face"), order=35)
group_command("faces", __("How many residents use face access"), order=60)

MAX_PHOTOS = 3
# Telegram photos are small; documents are capped before download (the engine's limit).
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}


class FaceFlow(StatesGroup):
    consent = State()  # the consent text is on screen
    photos = State()  # waiting for 1-3 photos


class FaceCb(CallbackData, prefix="fc"):
    action: str
    person: int = 0
    community: int = 0


def _button(text: str, action: str, person: int = 0, community: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=FaceCb(action=action, person=person, community=community).pack(),
    )


def _keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(r) for r in rows])


def _locale() -> str:
    from aiogram.utils.i18n import get_i18n

    return get_i18n().current_locale


async def _say(event: Message | CallbackQuery, text: str, **kwargs: Any) -> Message | None:
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            return await event.message.answer(text, **kwargs)
        return None
    return await event.answer(text, **kwargs)


def _error_text(code: str) -> str:
    texts = {
        "not_resident": _("Face access is for residents of this community."),
        "not_household": _("Only an owner can do this, for family members living in their home."),
        "no_consent": _(
            "Consent is missing or was withdrawn, so nothing was stored. Open Face access "
            "to start again."
        ),
        "member_has_telegram": _(
            "They have their own Telegram account, so they must agree themselves."
        ),
        "too_many": _("That makes more than 3 photos. Press ✅ Done to finish."),
        "no_templates": _(
            "No accepted photo is waiting (they expire after half an hour). Please send the "
            "photos again."
        ),
    }
    return texts.get(code, _("That is not possible right now."))


# --- where and for whom ---------------------------------------------------------------------


async def _community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


def _community_ids(identity: Identity) -> list[int]:
    seen: list[int] = []
    for unit in identity.units:
        if unit.community_id not in seen:
            seen.append(unit.community_id)
    return seen


def _owns_in(identity: Identity, community_id: int) -> bool:
    return any(
        u.community_id == community_id and u.role == ResidencyRole.OWNER for u in identity.units
    )


async def _subject_name(session: AsyncSession, person_id: int) -> str:
    person = await session.get(Person, person_id)
    return (person.full_name if person else "") or _("(no name)")


# --- home -------------------------------------------------------------------------------------


@router.callback_query(F.data == "menu:faces", StateFilter("*"))
@router.message(Command("face"), StateFilter("*"))
async def faces_entry(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await _leave_flow(state, session)
    communities = _community_ids(identity)
    if identity.person_id is None or not communities:
        await _say(event, _("Face access is for residents. Join your home first: /start"))
        return
    if len(communities) == 1:
        await _send_home(event, session, identity, communities[0])
        return
    rows = []
    for cid in communities:
        community = await _community(session, cid)
        if community is not None:
            rows.append([_button(f"🏘 {community.name}", "home", community=cid)])
    await _say(event, _("Face access for which community?"), reply_markup=_keyboard(*rows))


@router.callback_query(FaceCb.filter(F.action == "home"), StateFilter("*"))
async def faces_home(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await _leave_flow(state, session)
    if callback_data.community not in _community_ids(identity):
        await query.answer(_("Face access is for residents of this community."), show_alert=True)
        return
    await _send_home(query, session, identity, callback_data.community)


async def _send_home(
    event: Message | CallbackQuery, session: AsyncSession, identity: Identity, community_id: int
) -> None:
    assert identity.person_id is not None
    community = await _community(session, community_id)
    if community is None:
        return
    status = await face_status(session, identity.person_id, community_id)
    lines = [
        _("🙂 <b>Face access</b> — {community}").format(community=html.escape(community.name)),
        _(
            "Walk through the gate with full hands: the camera recognises you. Codes, cards "
            "and opening from this chat keep working either way."
        ),
        "",
    ]
    me = identity.person_id
    rows: list[list[InlineKeyboardButton]] = []
    if status.templates:
        since = local_dt(status.enrolled_at, community.timezone) if status.enrolled_at else None
        lines.append(
            _("Your status: ✅ enrolled since {date} (photos: {count}).").format(
                count=status.templates,
                date=fmt_date(since.date(), _locale()) if since else "—",
            )
        )
        rows.append([_button(_("📸 Enroll again"), "enroll", me, community_id)])
    else:
        lines.append(_("Your status: not enrolled."))
        rows.append([_button(_("📸 Enroll my face"), "enroll", me, community_id)])
    if status.templates or status.consent is not None:
        rows.append([_button(_("🗑 Delete my face data"), "delete", me, community_id)])
    if _owns_in(identity, community_id) and await household_members(session, me, community_id):
        rows.append([_button(_("👪 Household members"), "members", 0, community_id)])
    await _say(event, "\n".join(lines), reply_markup=_keyboard(*rows))


# --- consent ----------------------------------------------------------------------------------


def consent_text(community: str, kind: ConsentKind, name: str = "", owner: str = "") -> str:
    """The consent screen. The same words for everyone; who it is about changes."""
    c = html.escape(community)
    n = html.escape(name)
    if kind in (ConsentKind.SELF, ConsentKind.MEMBER):  # read by the person themselves
        head = _(
            "🙂 <b>Face access at the gate — please read before you agree</b>\n\n"
            "If you agree, the gates of {community} open when the camera recognises your face."
        ).format(community=c)
        subject = _("your")
    else:
        head = _(
            "🙂 <b>Face access at the gate for {name} — please read before agreeing</b>\n\n"
            "If you agree, the gates of {community} open when the camera recognises {name}'s "
            "face."
        ).format(community=c, name=n)
        subject = _("their")
    body = _(
        "• <b>What is stored:</b> a numeric template computed from the photos ({subject} "
        "face as 128 numbers). The photos themselves are never stored: they are checked in "
        "memory and discarded at once.\n"
        "• <b>Where:</b> only in {community}'s own Courtyard database, encrypted. Property "
        "staff see how many residents are enrolled — never a template, never a photo.\n"
        "• <b>For how long:</b> until it is deleted (Face access → Delete) or the move-out, "
        "whichever comes first.\n"
        "• <b>Telegram:</b> the photos you send here travel through Telegram's servers to "
        "reach us.\n"
        "• <b>Never the only way in:</b> door codes, access cards and opening the gate from "
        "this chat keep working, with or without face access.\n\n"
        "A face is sensitive personal information. You can withdraw at any time by deleting "
        "the face data."
    ).format(subject=subject, community=c)
    parts = [head, body]
    if kind == ConsentKind.GUARDIAN:
        parts.append(
            _("You are agreeing as the parent or guardian of {name}, who is under 14.").format(
                name=n
            )
        )
    elif kind == ConsentKind.HOUSEHOLD:
        parts.append(
            _("Please read this to {name}. Continue only if {name} agrees to face access.").format(
                name=n
            )
        )
    elif kind == ConsentKind.MEMBER:
        parts.append(
            _("{owner} would like to enroll your face for the gate.").format(
                owner=html.escape(owner)
            )
        )
    parts.append(_("Version {version}.").format(version=CONSENT_TEXT_VERSION))
    return "\n\n".join(parts)


def _agree_label(kind: ConsentKind, name: str) -> str:
    if kind == ConsentKind.GUARDIAN:
        return _("✅ As their parent or guardian, I agree")
    if kind == ConsentKind.HOUSEHOLD:
        return _("✅ {name} agrees").format(name=name)
    return _("✅ I agree")


async def _show_consent(
    event: Message | CallbackQuery,
    state: FSMContext,
    community: Community,
    subject_id: int,
    name: str,
    kind: ConsentKind,
) -> None:
    await state.set_state(FaceFlow.consent)
    await state.update_data(cid=community.id, pid=subject_id, name=name, kind=kind.value)
    text = consent_text(community.name, kind, name)
    await _say(
        event,
        text,
        reply_markup=_keyboard(
            [_button(_agree_label(kind, name), "agree", subject_id, community.id)],
            [_button(_("✖️ No, thank you"), "decline", subject_id, community.id)],
        ),
    )


@router.callback_query(FaceCb.filter(F.action == "enroll"), StateFilter("*"))
async def enroll_self(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await _leave_flow(state, session)
    me = identity.person_id
    cid = callback_data.community
    community = await _community(session, cid)
    if me is None or community is None or not await is_active_resident(session, me, cid):
        await query.answer(_error_text("not_resident"), show_alert=True)
        return
    name = identity.full_name or _("(no name)")
    if await active_consent(session, me, cid) is not None:
        await query.answer()
        await _start_photos(query, state, community, me, name, self_=True)
        return
    await _show_consent(query, state, community, me, name, ConsentKind.SELF)


@router.callback_query(FaceFlow.consent, FaceCb.filter(F.action == "agree"))
async def consent_agree(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    data = await state.get_data()
    if (
        identity.person_id is None
        or data.get("pid") != callback_data.person
        or data.get("cid") != callback_data.community
        or not isinstance(query.message, Message)
    ):
        await query.answer(_("This button is no longer active."))
        return
    community = await _community(session, callback_data.community)
    if community is None:
        await query.answer()
        return
    kind = ConsentKind(data["kind"])
    try:
        await record_consent(
            session,
            community_id=community.id,
            subject_person_id=callback_data.person,
            given_by_person_id=identity.person_id,
            kind=kind,
            minor=kind == ConsentKind.GUARDIAN,
            # The text exactly as the person saw it on screen.
            text_sha256=text_digest(query.message.text or ""),
            locale=_locale(),
            now=app.clock.now(),
        )
    except FaceError as exc:
        await state.clear()
        await query.answer(_error_text(exc.code), show_alert=True)
        return
    await session.commit()  # recorded before the person is told so
    await query.answer(_("Consent recorded."))
    await _freeze(query.message, _("✅ Agreed."))
    await _start_photos(
        query,
        state,
        community,
        callback_data.person,
        data.get("name", ""),
        self_=callback_data.person == identity.person_id,
    )


@router.message(FaceFlow.consent)
async def consent_other(message: Message) -> None:
    await message.answer(
        _("Please answer with the buttons under the text above: agree, or no, thank you.")
    )


@router.callback_query(FaceFlow.consent, FaceCb.filter(F.action == "decline"))
async def consent_decline(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await _freeze(query.message, _("✖️ Declined."))
        await query.message.answer(
            _(
                "No problem — nothing was stored. Codes, cards and opening the gate from this "
                "chat work as always."
            )
        )


async def _freeze(message: Message, verdict: str) -> None:
    """Keep the consent text on screen (it is what was agreed to), drop its buttons."""
    try:
        await message.edit_text(message.html_text + "\n\n<b>" + verdict + "</b>")
    except TelegramBadRequest:
        pass


# --- photos -----------------------------------------------------------------------------------


async def _start_photos(
    event: Message | CallbackQuery,
    state: FSMContext,
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
    if self_:
        text = _(
            "📸 Now send 1 to 3 selfies, as photos.\n"
            "• look straight into the camera, your face filling a good part of the picture;\n"
            "• good light on your face, nothing covering it;\n"
            "• only you in the picture.\n"
            "A second or third photo (with and without glasses, another light) helps the gate "
            "recognise you."
        )
    else:
        text = _(
            "📸 Now send 1 to 3 photos of {name}, as photos.\n"
            "• {name} looks straight into the camera, the face filling a good part of the "
            "picture;\n"
            "• good light on the face, nothing covering it;\n"
            "• only {name} in the picture."
        ).format(name=html.escape(name))
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await target.answer(
            text, reply_markup=_keyboard([_button(_("✖️ Cancel"), "cancel", subject_id)])
        )


def _photos_keyboard(accepted: int, subject_id: int) -> InlineKeyboardMarkup:
    rows = []
    if accepted:
        rows.append([_button(_("✅ Done"), "done", subject_id)])
    rows.append([_button(_("✖️ Cancel"), "cancel", subject_id)])
    return _keyboard(*rows)


@router.message(FaceFlow.photos, F.photo)
async def photo_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    bot: Bot,
) -> None:
    assert message.photo
    largest = max(message.photo, key=lambda p: p.width * p.height)
    await _check_photo(
        message, state, session, identity, app, bot, largest.file_id, largest.file_size
    )


@router.message(FaceFlow.photos, F.document)
async def document_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
    bot: Bot,
) -> None:
    document = message.document
    assert document is not None
    if (document.mime_type or "") not in _IMAGE_TYPES:
        data = await state.get_data()
        await message.answer(
            _("That file is not a picture. Please send a photo (JPEG or PNG)."),
            reply_markup=_photos_keyboard(int(data.get("accepted", 0)), int(data.get("pid", 0))),
        )
        return
    await _check_photo(
        message, state, session, identity, app, bot, document.file_id, document.file_size
    )


@router.message(FaceFlow.photos)
async def photos_other(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    accepted = int(data.get("accepted", 0))
    text = _("Please send a photo of the face (or press a button below).")
    if accepted:
        text = _(
            "Please send another photo of the face, or press ✅ Done to finish with {count}."
        ).format(count=accepted)
    await message.answer(text, reply_markup=_photos_keyboard(accepted, int(data.get("pid", 0))))


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
    if identity.person_id is None:
        return
    if accepted >= MAX_PHOTOS:
        await message.answer(
            _("You have sent 3 photos already. Press ✅ Done to finish."),
            reply_markup=_photos_keyboard(accepted, subject_id),
        )
        return
    if file_size is not None and file_size > MAX_IMAGE_BYTES:
        await message.answer(
            problem_text(FaceProblem.IMAGE_TOO_LARGE),
            reply_markup=_photos_keyboard(accepted, subject_id),
        )
        return
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO)
    progress = await message.reply(_("🔎 Checking the photo…"))
    try:
        # In memory only: the photo never touches the disk and is dropped after the check.
        buffer = io.BytesIO()
        await bot.download(file_id, destination=buffer)
        image = buffer.getvalue()
        if len(image) > MAX_IMAGE_BYTES:
            analysis = None
            problem: FaceProblem | None = FaceProblem.IMAGE_TOO_LARGE
        else:
            analysis = await app.faces.analyze(image)
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
        await progress.edit_text(
            problem_text(FaceProblem.IMAGE_TOO_LARGE if too_big else FaceProblem.NOT_AN_IMAGE),
            reply_markup=_photos_keyboard(accepted, subject_id),
        )
        return
    if analysis is None or analysis.template is None:
        faces = analysis.faces if analysis is not None else 0
        await progress.edit_text(
            problem_text(problem or FaceProblem.NO_FACE, faces),
            reply_markup=_photos_keyboard(accepted, subject_id),
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
        if exc.code != "too_many":
            await state.clear()
        await progress.edit_text(
            _error_text(exc.code),
            reply_markup=_photos_keyboard(accepted, subject_id) if exc.code == "too_many" else None,
        )
        return
    await state.update_data(accepted=count)
    await session.commit()
    if count >= MAX_PHOTOS:
        text = _("✅ Photo {count} of 3 accepted. Press ✅ Done to finish.").format(count=count)
    else:
        text = _(
            "✅ Photo {count} of up to 3 accepted. Send another, or press ✅ Done to finish."
        ).format(count=count)
    await progress.edit_text(text, reply_markup=_photos_keyboard(count, subject_id))


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
        await query.answer(_("This button is no longer active."))
        return
    cid, subject_id = int(data["cid"]), int(data["pid"])
    community = await _community(session, cid)
    try:
        enrolled = await finish_enrollment(
            session,
            community_id=cid,
            person_id=subject_id,
            actor_person_id=identity.person_id,
            enrollment=data["enr"],
            now=app.clock.now(),
        )
    except FaceError as exc:
        if exc.code != "no_templates":
            await state.clear()
        await query.answer(_error_text(exc.code), show_alert=True)
        return
    await state.clear()
    # Commit before the index is rebuilt from the database (and before telling anyone).
    await session.commit()
    await _refresh_index(app, cid)
    await query.answer()
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
    if isinstance(query.message, Message):
        await _drop_buttons(query.message)
        await query.message.answer(text)


@router.callback_query(FaceFlow.photos, FaceCb.filter(F.action == "cancel"))
async def photos_cancel(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await _leave_flow(state, session)
    await session.commit()  # discarded before the person is told so
    await query.answer()
    if isinstance(query.message, Message):
        await _drop_buttons(query.message)
        await query.message.answer(
            _("Cancelled. Nothing was stored; the photos you sent here were not kept.")
        )


async def _drop_buttons(message: Message) -> None:
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass


async def _leave_flow(state: FSMContext, session: AsyncSession) -> None:
    """Leave whatever face step was open, discarding its pending templates."""
    if await state.get_state() == FaceFlow.photos.state:
        enrollment = (await state.get_data()).get("enr")
        if enrollment:
            await discard_enrollment(session, enrollment)
    await state.clear()


async def _refresh_index(app: AppContext, community_id: int) -> None:
    try:
        await app.faces.changed(community_id)
    except Exception:
        # The gate re-reads the change counter before every decision, so it catches up
        # anyway; this was only to have it ready.
        log.exception("face index refresh failed", extra={"fields": {"community": community_id}})


# --- deletion ---------------------------------------------------------------------------------


@router.callback_query(FaceCb.filter(F.action == "delete"), StateFilter("*"))
async def delete_data(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    me = identity.person_id
    if me is None:
        await query.answer()
        return
    await _leave_flow(state, session)
    try:
        deleted = await delete_face_data(
            session,
            person_id=callback_data.person,
            community_id=callback_data.community,
            actor_person_id=me,
            now=app.clock.now(),
        )
    except FaceError as exc:
        await query.answer(_error_text(exc.code), show_alert=True)
        return
    await session.commit()
    await _refresh_index(app, callback_data.community)
    await query.answer(_("Deleted."))
    if callback_data.person == me:
        text = _(
            "🗑 Your face data is deleted (templates: {count}), and your consent is withdrawn. "
            "Your face no longer opens the gate. Codes, cards and opening from this chat work "
            "as before."
        ).format(count=deleted.templates)
    else:
        name = html.escape(await _subject_name(session, callback_data.person))
        text = _(
            "🗑 {name}'s face data is deleted (templates: {count}), and the consent is "
            "withdrawn. {name}'s face no longer opens the gate."
        ).format(name=name, count=deleted.templates)
    if isinstance(query.message, Message):
        await _drop_buttons(query.message)
        await query.message.answer(text)


# --- household members ------------------------------------------------------------------------


@router.callback_query(FaceCb.filter(F.action == "members"), StateFilter("*"))
async def members_list(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await _leave_flow(state, session)
    me, cid = identity.person_id, callback_data.community
    members = await household_members(session, me, cid) if me is not None else []
    if not members:
        await query.answer(_error_text("not_household"), show_alert=True)
        return
    lines = [_("👪 <b>Face access for your household</b>")]
    rows: list[list[InlineKeyboardButton]] = []
    for m in members:
        name = m.full_name or _("(no name)")
        if m.templates:
            status = _("enrolled (photos: {count})").format(count=m.templates)
        else:
            status = _("not enrolled")
        lines.append(
            _("• {name} ({unit}): {status}").format(
                name=html.escape(name), unit=html.escape(m.unit_label), status=status
            )
        )
        row = [_button(_("📸 {name}").format(name=name), "member", m.person_id, cid)]
        if m.templates:
            row.append(_button(_("🗑 {name}").format(name=name), "delete", m.person_id, cid))
        rows.append(row)
    lines.append("")
    lines.append(_("📸 enrolls (or enrolls again), 🗑 deletes that person's face data."))
    await _say(query, "\n".join(lines), reply_markup=_keyboard(*rows))


async def _member_or_refuse(
    query: CallbackQuery, session: AsyncSession, identity: Identity, callback_data: FaceCb
) -> Community | None:
    me = identity.person_id
    community = await _community(session, callback_data.community)
    try:
        if me is None or community is None:
            raise FaceError("not_household")
        await household_unit(session, me, callback_data.person, callback_data.community)
    except FaceError as exc:
        await query.answer(_error_text(exc.code), show_alert=True)
        return None
    return community


@router.callback_query(FaceCb.filter(F.action == "member"), StateFilter("*"))
async def member_chosen(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await _leave_flow(state, session)
    community = await _member_or_refuse(query, session, identity, callback_data)
    if community is None:
        return
    name = await _subject_name(session, callback_data.person)
    if await active_consent(session, callback_data.person, community.id) is not None:
        await query.answer()
        await _start_photos(query, state, community, callback_data.person, name, self_=False)
        return
    await _say(
        query,
        _("Is {name} under 14?").format(name=html.escape(name)),
        reply_markup=_keyboard(
            [_button(_("👶 Under 14"), "minor", callback_data.person, community.id)],
            [_button(_("🧑 14 or older"), "adult", callback_data.person, community.id)],
        ),
    )


@router.callback_query(FaceCb.filter(F.action == "minor"), StateFilter("*"))
async def member_minor(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    community = await _member_or_refuse(query, session, identity, callback_data)
    if community is None:
        return
    name = await _subject_name(session, callback_data.person)
    await _show_consent(query, state, community, callback_data.person, name, ConsentKind.GUARDIAN)


@router.callback_query(FaceCb.filter(F.action == "adult"), StateFilter("*"))
async def member_adult(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    community = await _member_or_refuse(query, session, identity, callback_data)
    if community is None:
        return
    member = await session.get(Person, callback_data.person)
    owner = await session.get(Person, identity.person_id)
    if member is None or owner is None:
        await query.answer()
        return
    name = member.full_name or _("(no name)")
    if member.telegram_id is None:
        await _show_consent(query, state, community, member.id, name, ConsentKind.HOUSEHOLD)
        return
    # They can be asked: only their own "yes" counts.
    owner_name = owner.full_name or _("A household member")
    delivery = await send_to_person(
        app,
        member,
        lambda: consent_text(community.name, ConsentKind.MEMBER, owner=owner_name),
        reply_markup=lambda: _keyboard(
            [_button(_("✅ I agree"), "magree", owner.id, community.id)],
            [_button(_("✖️ No, thank you"), "mdecline", owner.id, community.id)],
        ),
    )
    if delivery.ok:
        text = _(
            "{name} has their own Telegram account, so {name} decides: I have asked in their "
            "chat. I will tell you the answer."
        ).format(name=html.escape(name))
    else:
        text = _(
            "I could not reach {name} on Telegram (they may have blocked the bot). {name} can "
            "open 🙂 Face access in their own chat instead."
        ).format(name=html.escape(name))
    await _say(query, text)


@router.callback_query(FaceCb.filter(F.action.in_({"magree", "mdecline"})), StateFilter("*"))
async def member_answer(
    query: CallbackQuery,
    callback_data: FaceCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    """The household member answers an owner's request, in their own chat."""
    me = identity.person_id
    owner = await session.get(Person, callback_data.person)
    community = await _community(session, callback_data.community)
    if me is None or owner is None or community is None or not isinstance(query.message, Message):
        await query.answer(_("This button is no longer active."))
        return
    my_name = identity.full_name or _("(no name)")
    if callback_data.action == "mdecline":
        await query.answer()
        await _freeze(query.message, _("✖️ Declined."))
        await query.message.answer(_("Understood — nothing was stored."))
        await send_to_person(
            app,
            owner,
            lambda: _("{name} declined face access. Nothing was stored.").format(
                name=html.escape(my_name)
            ),
        )
        return
    try:
        await record_consent(
            session,
            community_id=community.id,
            subject_person_id=me,
            given_by_person_id=me,
            requested_by_person_id=owner.id,
            kind=ConsentKind.MEMBER,
            text_sha256=text_digest(query.message.text or ""),
            locale=_locale(),
            now=app.clock.now(),
        )
    except FaceError as exc:
        await query.answer(_error_text(exc.code), show_alert=True)
        return
    await session.commit()
    await query.answer(_("Consent recorded."))
    await _freeze(query.message, _("✅ Agreed."))
    await query.message.answer(
        _(
            "Thank you. {owner} can now send photos of you for the gate — or send your own "
            "selfie here. Delete it any time: 🙂 Face access → 🗑 Delete my face data."
        ).format(owner=html.escape(owner.full_name or "")),
        reply_markup=_keyboard([_button(_("📸 Send my selfie"), "enroll", me, community.id)]),
    )
    await send_to_person(
        app,
        owner,
        lambda: _("{name} agreed to face access.").format(name=html.escape(my_name)),
        reply_markup=lambda: _keyboard(
            [
                _button(
                    _("📸 Send {name}'s photos").format(name=my_name),
                    "member",
                    me,
                    community.id,
                )
            ]
        ),
    )


# --- staff: counts only -----------------------------------------------------------------------


@staff_router.message(Command("faces"), AdminGroup())
async def staff_counts(
    message: Message,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if not await ensure_staff(message, app, identity, community, action="faces.count"):
        return
    counts = await enrollment_counts(session, community.id, app.faces.model)
    await message.reply(
        _(
            "🙂 Face access in {community}: {enrolled} of {residents} residents enrolled.\n"
            "Templates are encrypted and stay in the database; staff never see them or any "
            "photo. Residents enroll and delete themselves in the bot."
        ).format(
            community=html.escape(community.name),
            enrolled=counts.enrolled,
            residents=counts.residents,
        )
    )
