"""Review of move-in applications in the community's admin group.

An application is posted with its documents and the buttons Approve, Reject
and Ask for more (``post_application``, also used by the move-in flow and by
``/setup`` for applications that arrived before a group was bound). Reject and
Ask for more prompt the staff member for a text, answered by replying to the
prompt. Every outcome is told to the resident in their language; on approval
staff get a hand-over message to log keys and access card. Staff can look up a
unit's residents with ``/residents 3栋-1201`` and end a residency.

Managers decide applications and end residencies; managers and guards log
hand-overs. Everyone else is refused by ``ensure_staff`` (and audited).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    User,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import group_command
from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from bot.sender import Delivery
from core.formatting import fmt_date, fmt_short_datetime
from core.identity import Identity
from core.models import Community, Person, ResidencyRole, StaffRole
from core.movein_models import (
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    HandoverDirection,
    HandoverItem,
    MoveInApplication,
)
from core.residents import (
    ResidentsError,
    approve_application,
    end_residency,
    find_unit_by_label,
    get_application,
    handover_log,
    record_handover,
    reject_application,
    request_more_documents,
    set_review_message,
    unit_residents,
)
from handlers.menu import menu_keyboard
from handlers.staff import AdminGroup, ensure_staff

log = logging.getLogger(__name__)
router = Router(name="movein.review")

group_command("residents", __("Residents of a unit: /residents 3栋-1201"), order=30)

DECIDERS = (StaffRole.MANAGER,)
HANDOVER_ROLES = (StaffRole.MANAGER, StaffRole.GUARD)


class ReviewCb(CallbackData, prefix="rv"):
    action: str  # a = approve, r = reject, m = ask for more
    app_id: int


class HandoverCb(CallbackData, prefix="ho"):
    residency_id: int
    item: str  # HandoverItem value
    direction: str  # HandoverDirection value


class EndCb(CallbackData, prefix="re"):
    residency_id: int
    confirm: bool = False


class ReviewStates(StatesGroup):
    reason = State()  # a staff member is typing a rejection reason / a request


# --- labels -----------------------------------------------------------------------------


def role_label(role: ResidencyRole | str) -> str:
    return {
        ResidencyRole.OWNER: _("owner"),
        ResidencyRole.TENANT: _("tenant"),
        ResidencyRole.FAMILY: _("family member"),
    }[ResidencyRole(role)]


def status_label(status: ApplicationStatus) -> str:
    return {
        ApplicationStatus.SUBMITTED: _("waiting for review"),
        ApplicationStatus.MORE_INFO: _("waiting for more documents from the applicant"),
        ApplicationStatus.APPROVED: _("approved"),
        ApplicationStatus.REJECTED: _("rejected"),
        ApplicationStatus.WITHDRAWN: _("withdrawn by the applicant"),
    }[status]


def item_label(item: HandoverItem) -> str:
    return {HandoverItem.KEYS: _("Keys"), HandoverItem.ACCESS_CARD: _("Access card")}[item]


def person_link(telegram_id: int | None, name: str) -> str:
    shown = html.escape(name or _("(no name)"))
    return f'<a href="tg://user?id={telegram_id}">{shown}</a>' if telegram_id else shown


# --- posting an application ---------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = 10) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def movein_thread(app: AppContext, community: Community) -> int | None:
    """The admin group's "Move-in" topic (created on first use in a forum)."""
    if not community.admin_chat_is_forum or community.admin_chat_id is None:
        return None
    saved = community.config.get("movein_thread")
    if isinstance(saved, dict) and saved.get("chat") == community.admin_chat_id:
        return int(saved["thread"])
    assert app.bot is not None
    with app.i18n.use_locale(community.locale):
        name = _("Move-in applications")
    try:
        topic = await app.bot.create_forum_topic(community.admin_chat_id, name)
    except TelegramBadRequest as exc:
        log.warning("cannot create the move-in topic", extra={"fields": {"error": str(exc)}})
        return None
    community.config = {
        **community.config,
        "movein_thread": {"chat": community.admin_chat_id, "thread": topic.message_thread_id},
    }
    return topic.message_thread_id


def _doc_caption(application: MoveInApplication, kind: DocumentKind) -> str:
    what = {
        DocumentKind.ID: _("ID"),
        DocumentKind.PROOF: _("proof of residence"),
        DocumentKind.EXTRA: _("additional documents"),
    }[kind]
    return _("Application #{id} · {unit} · {what}").format(
        id=application.id, unit=application.unit.label, what=what
    )


async def _send_documents(
    bot: Bot, chat_id: int, thread_id: int | None, application: MoveInApplication
) -> None:
    by_kind: dict[tuple[DocumentKind, str], list[ApplicationDocument]] = {}
    for doc in application.documents:
        by_kind.setdefault((doc.kind, doc.media), []).append(doc)
    for (kind, media), docs in sorted(
        by_kind.items(), key=lambda kv: list(DocumentKind).index(kv[0][0])
    ):
        caption = _doc_caption(application, kind)
        for chunk in _chunks(docs):
            if len(chunk) == 1:
                if media == "photo":
                    await bot.send_photo(
                        chat_id, chunk[0].file_id, caption=caption, message_thread_id=thread_id
                    )
                else:
                    await bot.send_document(
                        chat_id, chunk[0].file_id, caption=caption, message_thread_id=thread_id
                    )
                continue
            group: list[InputMediaPhoto | InputMediaDocument] = []
            for i, doc in enumerate(chunk):
                cap = caption if i == 0 else None
                if media == "photo":
                    group.append(InputMediaPhoto(media=doc.file_id, caption=cap))
                else:
                    group.append(InputMediaDocument(media=doc.file_id, caption=cap))
            await bot.send_media_group(chat_id, group, message_thread_id=thread_id)  # type: ignore[arg-type]


def application_card(application: MoveInApplication, community: Community) -> str:
    """The review card, in the current (the group's) locale."""
    a = application
    lines = [
        _("🏠 <b>Move-in application #{id}</b>").format(id=a.id),
        _("Unit: {unit} ({area} m²)").format(unit=html.escape(a.unit.label), area=a.unit.area_m2),
        _("Applicant: {person} · {role}").format(
            person=person_link(a.person.telegram_id, a.full_name), role=role_label(a.role)
        ),
        _("Phone: {phone}").format(phone=html.escape(a.phone or "—")),
    ]
    if a.end_date is not None:
        lines.append(_("Lease until: {date}").format(date=fmt_date(a.end_date, community.locale)))
    lines.append(
        _("Submitted: {when}").format(
            when=fmt_short_datetime(a.submitted_at, community.timezone, community.locale)
        )
    )
    counts = {k: sum(1 for d in a.documents if d.kind == k) for k in DocumentKind}
    if a.documents_purged_at is not None:
        lines.append(_("Documents: deleted after the retention period"))
    else:
        lines.append(
            _("Documents: {ids} ID, {proofs} proof, {extra} additional (above)").format(
                ids=counts[DocumentKind.ID],
                proofs=counts[DocumentKind.PROOF],
                extra=counts[DocumentKind.EXTRA],
            )
        )
    lines.append(_("Accepted the community rules and the service contract."))
    if a.staff_request:
        lines.append(_("Asked for: {note}").format(note=html.escape(a.staff_request)))
    lines.append(_("Status: {status}").format(status=status_label(a.status)))
    if a.decision_reason:
        lines.append(_("Reason: {reason}").format(reason=html.escape(a.decision_reason)))
    return "\n".join(lines)


def review_keyboard(application: MoveInApplication) -> InlineKeyboardMarkup | None:
    if not application.status.is_open:
        return None
    row = [
        InlineKeyboardButton(
            text=_("✅ Approve"), callback_data=ReviewCb(action="a", app_id=application.id).pack()
        ),
        InlineKeyboardButton(
            text=_("❌ Reject"), callback_data=ReviewCb(action="r", app_id=application.id).pack()
        ),
    ]
    if application.status == ApplicationStatus.SUBMITTED:
        row.append(
            InlineKeyboardButton(
                text=_("📎 Ask for more"),
                callback_data=ReviewCb(action="m", app_id=application.id).pack(),
            )
        )
    return InlineKeyboardMarkup(inline_keyboard=[row])


async def post_application(app: AppContext, session: AsyncSession, application_id: int) -> Delivery:
    """Post (or re-post) an application with its documents to the admin group.

    The previous card, if any, is edited to point to the new post. Returns
    ``Delivery(ok=False, reason="no_admin_group")`` when no group is bound yet:
    ``/setup`` posts waiting applications later.
    """
    assert app.bot is not None
    application = await get_application(session, application_id)
    community = await session.get(Community, application.community_id)
    assert community is not None
    if community.admin_chat_id is None:
        return Delivery(ok=False, reason="no_admin_group")
    chat_id = community.admin_chat_id
    thread_id = await movein_thread(app, community)
    with app.i18n.use_locale(community.locale):
        try:
            await _send_documents(app.bot, chat_id, thread_id, application)
        except TelegramBadRequest as exc:
            if thread_id is None or "thread" not in str(exc).lower():
                raise
            # The topic was deleted by an admin: forget it and post in General.
            community.config = {k: v for k, v in community.config.items() if k != "movein_thread"}
            thread_id = None
            await _send_documents(app.bot, chat_id, thread_id, application)
        delivery = await send_to_admin_group(
            app,
            community,
            lambda: application_card(application, community),
            thread_id=thread_id,
            reply_markup=review_keyboard(application),
        )
        old_chat, old_message = application.admin_chat_id, application.admin_message_id
        if delivery.ok:
            await set_review_message(session, application.id, chat_id, delivery.result.message_id)
            if old_chat == chat_id and old_message is not None:
                await _edit_quietly(
                    app.bot,
                    chat_id,
                    old_message,
                    application_card(application, community)
                    + "\n"
                    + _("⤵️ Updated: see the new post below."),
                    None,
                )
    return delivery


async def _edit_quietly(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit a card; a deleted or unchanged card is not worth failing the action."""
    try:
        await bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except TelegramBadRequest as exc:
        log.info("card not edited", extra={"fields": {"error": str(exc)}})


async def refresh_card(app: AppContext, session: AsyncSession, application_id: int) -> None:
    application = await get_application(session, application_id)
    community = await session.get(Community, application.community_id)
    if (
        community is None
        or application.admin_chat_id is None
        or application.admin_message_id is None
        or app.bot is None
    ):
        return
    with app.i18n.use_locale(community.locale):
        await _edit_quietly(
            app.bot,
            application.admin_chat_id,
            application.admin_message_id,
            application_card(application, community),
            review_keyboard(application),
        )


async def tell_staff_unreachable(
    app: AppContext, community: Community, person_name: str, delivery: Delivery
) -> None:
    """A resident who cannot be reached must be visible to staff."""
    if delivery.ok:
        return
    reasons = {
        "blocked": _("they have blocked the bot"),
        "deactivated": _("their Telegram account is deleted"),
        "no_telegram": _("they have no Telegram account"),
    }
    await send_to_admin_group(
        app,
        community,
        lambda: _("⚠️ I could not tell {name} about this: {reason}. Please call them.").format(
            name=html.escape(person_name),
            reason=reasons.get(delivery.reason or "", _("Telegram refused the message")),
        ),
        thread_id=await movein_thread(app, community),
    )


async def staff_name(session: AsyncSession, identity: Identity, user: User | None) -> str:
    """The acting staff member's name. Staff added by the operator may never
    have written to the bot in private: learn their name from Telegram then,
    so cards and hand-over logs say who did it."""
    if identity.full_name:
        return identity.full_name
    if user is None:
        return str(identity.telegram_id)
    if identity.person_id is not None:
        person = await session.get(Person, identity.person_id)
        if person is not None and not person.full_name:
            person.full_name = user.full_name[:120]
    return user.full_name


# --- approve / reject / ask for more ----------------------------------------------------------


async def _load_for_staff(
    query: CallbackQuery,
    session: AsyncSession,
    community: Community,
    app_id: int,
) -> MoveInApplication | None:
    try:
        application = await get_application(session, app_id)
    except ResidentsError:
        await query.answer(_("This application no longer exists."), show_alert=True)
        return None
    if application.community_id != community.id:
        await query.answer(_("This application belongs to another community."), show_alert=True)
        return None
    if not application.status.is_open:
        await query.answer(
            _("Already decided: {status}.").format(status=status_label(application.status)),
            show_alert=True,
        )
        return None
    return application


@router.callback_query(ReviewCb.filter(F.action == "a"), AdminGroup())
async def approve(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(query, app, identity, community, *DECIDERS, action="movein.approve"):
        return
    application = await _load_for_staff(query, session, community, callback_data.app_id)
    if application is None:
        return
    assert identity.person_id is not None
    try:
        application = await approve_application(
            session,
            application.id,
            staff_person_id=identity.person_id,
            staff_telegram_id=identity.telegram_id,
            clock=app.clock,
        )
    except ResidentsError:
        await query.answer(_("Someone else has just decided this application."), show_alert=True)
        return
    await session.commit()  # the decision stands even if Telegram fails below
    await query.answer(_("Approved."))
    await _after_decision(
        app, community, application, await staff_name(session, identity, query.from_user)
    )
    person = application.person
    delivery = await send_to_person(
        app,
        person,
        lambda: _(
            "✅ Welcome home! The property office approved your application for {unit}. "
            "Keys and access card are handed over at the property office."
        ).format(unit=application.unit.label),
        reply_markup=lambda: menu_keyboard(_resident_identity(person, application)),
    )
    await tell_staff_unreachable(app, community, application.full_name, delivery)
    await post_handover(
        app,
        session,
        community,
        application.residency_id,
        application.full_name,
        application.unit.label,
    )


def _resident_identity(person: Person, application: MoveInApplication) -> Identity:
    from core.identity import UnitMembership

    return Identity(
        person_id=person.id,
        telegram_id=person.telegram_id or 0,
        locale=person.locale,
        full_name=person.full_name,
        units=(
            UnitMembership(
                application.residency_id,
                application.unit_id,
                application.community_id,
                application.unit.label,
                application.role,
            ),
        ),
    )


async def _after_decision(
    app: AppContext,
    community: Community,
    application: MoveInApplication,
    staff: str,
) -> None:
    if app.bot is None or application.admin_message_id is None or application.admin_chat_id is None:
        return
    with app.i18n.use_locale(community.locale):
        assert application.decided_at is not None
        outcome = _("{status} by {staff} on {when}").format(
            status=status_label(application.status).capitalize(),
            staff=html.escape(staff),
            when=fmt_short_datetime(application.decided_at, community.timezone, community.locale),
        )
        await _edit_quietly(
            app.bot,
            application.admin_chat_id,
            application.admin_message_id,
            application_card(application, community) + "\n" + outcome,
            None,
        )


async def _prompt(
    query: CallbackQuery,
    state: FSMContext,
    app: AppContext,
    community: Community,
    application: MoveInApplication,
    identity: Identity,
    action: str,
) -> None:
    assert app.bot is not None and isinstance(query.message, Message)
    with app.i18n.use_locale(community.locale):
        if action == "r":
            text = _(
                "{staff}, reply to this message with the reason for rejecting application "
                "#{id} ({unit}). The applicant will read it. Send /cancel to keep it open."
            )
        else:
            text = _(
                "{staff}, reply to this message with what the applicant of #{id} ({unit}) "
                "should send. Send /cancel to leave it."
            )
        prompt = await query.message.reply(
            text.format(
                staff=person_link(identity.telegram_id, identity.full_name),
                id=application.id,
                unit=html.escape(application.unit.label),
            ),
            reply_markup=ForceReply(selective=True),
        )
    await state.set_state(ReviewStates.reason)
    await state.set_data({"app_id": application.id, "action": action, "prompt": prompt.message_id})
    await query.answer()


@router.callback_query(ReviewCb.filter(F.action.in_({"r", "m"})), AdminGroup())
async def reject_or_ask(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    action = "movein.reject" if callback_data.action == "r" else "movein.ask_more"
    if not await ensure_staff(query, app, identity, community, *DECIDERS, action=action):
        return
    application = await _load_for_staff(query, session, community, callback_data.app_id)
    if application is None:
        return
    if callback_data.action == "m" and application.status != ApplicationStatus.SUBMITTED:
        await query.answer(_("Already waiting for the applicant's documents."), show_alert=True)
        return
    await _prompt(query, state, app, community, application, identity, callback_data.action)


@router.message(Command("cancel"), ReviewStates.reason, AdminGroup())
async def cancel_prompt(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.reply(_("Left as it was."))


async def _replies_to_prompt(message: Message, state: FSMContext) -> bool:
    """Only a reply to our own prompt is the answer; anything else in the group
    (a reply to a ticket card…) stays for the other features."""
    if message.reply_to_message is None:
        return False
    data = await state.get_data()
    return bool(message.reply_to_message.message_id == data.get("prompt"))


@router.message(ReviewStates.reason, AdminGroup(), _replies_to_prompt)
async def reason_given(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    data = await state.get_data()
    if not message.text or message.text.startswith("/"):
        await message.reply(_("Please reply with text."))
        return
    action = "movein.reject" if data.get("action") == "r" else "movein.ask_more"
    if not await ensure_staff(message, app, identity, community, *DECIDERS, action=action):
        await state.clear()
        return
    text = message.text.strip()[:1000]
    assert identity.person_id is not None
    try:
        if data.get("action") == "r":
            application = await reject_application(
                session,
                int(data["app_id"]),
                text,
                staff_person_id=identity.person_id,
                staff_telegram_id=identity.telegram_id,
                clock=app.clock,
            )
        else:
            application = await request_more_documents(
                session,
                int(data["app_id"]),
                text,
                staff_person_id=identity.person_id,
                staff_telegram_id=identity.telegram_id,
            )
    except ResidentsError:
        await state.clear()
        await message.reply(_("This application was decided meanwhile; nothing changed."))
        return
    if application.community_id != community.id:  # pragma: no cover - guarded at the button
        raise RuntimeError("application of another community")
    await state.clear()
    await session.commit()
    person = application.person
    if application.status == ApplicationStatus.REJECTED:
        await _after_decision(
            app, community, application, await staff_name(session, identity, message.from_user)
        )
        with app.i18n.use_locale(community.locale):
            await message.reply(_("Rejected. I have told the applicant."))
        delivery = await send_to_person(
            app,
            person,
            lambda: _(
                "The property office could not approve your application for {unit}.\n"
                "Reason: {reason}\nYou can apply again from the menu."
            ).format(unit=application.unit.label, reason=html.escape(text)),
            reply_markup=lambda: menu_keyboard(
                Identity(person_id=person.id, telegram_id=person.telegram_id or 0)
            ),
        )
    else:
        await refresh_card(app, session, application.id)
        with app.i18n.use_locale(community.locale):
            await message.reply(_("Sent to the applicant. The card stays open."))
        from handlers.movein import more_documents_keyboard

        delivery = await send_to_person(
            app,
            person,
            lambda: _(
                "The property office needs more from you for {unit}:\n{note}\n"
                "Press the button below, then send photos or documents."
            ).format(unit=application.unit.label, note=html.escape(text)),
            reply_markup=lambda: more_documents_keyboard(application.id),
        )
    await tell_staff_unreachable(app, community, application.full_name, delivery)


# --- key and access-card hand-over ---------------------------------------------------------


def handover_text(
    community: Community,
    name: str,
    unit_label: str,
    direction: HandoverDirection,
    latest: dict[HandoverItem, Any],
    names: dict[int, str],
) -> str:
    if direction == HandoverDirection.ISSUED:
        head = _("🔑 Hand over keys and access card to {name} ({unit}).")
        done = _("handed over by {staff} on {when}")
    else:
        head = _("🔑 Collect keys and access card from {name} ({unit}), who moved out.")
        done = _("returned to {staff} on {when}")
    lines = [head.format(name=html.escape(name), unit=html.escape(unit_label))]
    for item in HandoverItem:
        entry = latest.get(item)
        if entry is not None and entry.direction == direction:
            status = done.format(
                staff=html.escape(names.get(entry.by_person_id or 0, "?")),
                when=fmt_short_datetime(entry.at, community.timezone, community.locale),
            )
        else:
            status = _("not yet")
        lines.append(f"{item_label(item)}: {status}")
    return "\n".join(lines)


def handover_keyboard(
    residency_id: int, direction: HandoverDirection, latest: dict[HandoverItem, Any]
) -> InlineKeyboardMarkup | None:
    labels = {
        (HandoverItem.KEYS, HandoverDirection.ISSUED): _("🔑 Keys handed over"),
        (HandoverItem.ACCESS_CARD, HandoverDirection.ISSUED): _("💳 Access card handed over"),
        (HandoverItem.KEYS, HandoverDirection.RETURNED): _("🔑 Keys returned"),
        (HandoverItem.ACCESS_CARD, HandoverDirection.RETURNED): _("💳 Access card returned"),
    }
    buttons = [
        InlineKeyboardButton(
            text=labels[(item, direction)],
            callback_data=HandoverCb(
                residency_id=residency_id, item=item.value, direction=direction.value
            ).pack(),
        )
        for item in HandoverItem
        if latest.get(item) is None or latest[item].direction != direction
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


async def _staff_names(session: AsyncSession, latest: dict[HandoverItem, Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for entry in latest.values():
        if entry.by_person_id and entry.by_person_id not in names:
            person = await session.get(Person, entry.by_person_id)
            names[entry.by_person_id] = person.full_name if person else "?"
    return names


async def post_handover(
    app: AppContext,
    session: AsyncSession,
    community: Community,
    residency_id: int,
    name: str,
    unit_label: str,
    direction: HandoverDirection = HandoverDirection.ISSUED,
) -> Delivery:
    latest = await handover_log(session, residency_id)
    names = await _staff_names(session, latest)
    return await send_to_admin_group(
        app,
        community,
        lambda: handover_text(community, name, unit_label, direction, latest, names),
        thread_id=await movein_thread(app, community),
        reply_markup=lambda: handover_keyboard(residency_id, direction, latest),
    )


@router.callback_query(HandoverCb.filter(), AdminGroup())
async def handover_pressed(
    query: CallbackQuery,
    callback_data: HandoverCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(
        query, app, identity, community, *HANDOVER_ROLES, action="movein.handover"
    ):
        return
    from core.models import Residency, Unit

    residency = await session.get(Residency, callback_data.residency_id)
    unit = await session.get(Unit, residency.unit_id) if residency else None
    if residency is None or unit is None or unit.community_id != community.id:
        await query.answer(_("This resident is not in this community."), show_alert=True)
        return
    assert identity.person_id is not None
    await staff_name(session, identity, query.from_user)  # shown in the log below
    direction = HandoverDirection(callback_data.direction)
    entry = await record_handover(
        session,
        residency.id,
        HandoverItem(callback_data.item),
        direction,
        by_person_id=identity.person_id,
        by_telegram_id=identity.telegram_id,
        clock=app.clock,
    )
    await query.answer(_("Logged.") if entry else _("Already logged."))
    latest = await handover_log(session, residency.id)
    names = await _staff_names(session, latest)
    person = await session.get(Person, residency.person_id)
    from core.identity import unit_label

    label = await unit_label(session, unit.id)
    if isinstance(query.message, Message):
        with app.i18n.use_locale(community.locale):
            await query.message.edit_text(
                handover_text(
                    community, person.full_name if person else "?", label, direction, latest, names
                ),
                reply_markup=handover_keyboard(residency.id, direction, latest),
            )


# --- residents of a unit ------------------------------------------------------------------


@router.message(Command("residents"), AdminGroup())
async def residents_of_unit(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(message, app, identity, community, action="movein.residents"):
        return
    if not command.args:
        await message.reply(_("Which unit? For example: /residents 3栋-1201"))
        return
    unit = await find_unit_by_label(session, community.id, command.args)
    if unit is None:
        await message.reply(
            _("There is no unit {unit} in {community}.").format(
                unit=html.escape(command.args), community=html.escape(community.name)
            )
        )
        return
    residents = await unit_residents(session, unit.id)
    with app.i18n.use_locale(community.locale):
        if not residents:
            await message.reply(
                _("Nobody lives in {unit} yet.").format(unit=html.escape(unit.label))
            )
            return
        lines = [_("Residents of {unit}:").format(unit=html.escape(unit.label))]
        buttons = []
        for r in residents:
            extra = ""
            if r.end_date is not None:
                extra = " · " + _("until {date}").format(
                    date=fmt_date(r.end_date, community.locale)
                )
            lines.append(
                f"• {person_link(r.telegram_id, r.full_name)} · {role_label(r.role)} · "
                f"{html.escape(r.phone or '—')}{extra}"
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        text=_("End residency of {name}").format(name=r.full_name or "?"),
                        callback_data=EndCb(residency_id=r.residency_id).pack(),
                    )
                ]
            )
        await message.reply(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )


@router.callback_query(EndCb.filter(), AdminGroup())
async def end_pressed(
    query: CallbackQuery,
    callback_data: EndCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    if not await ensure_staff(query, app, identity, community, *DECIDERS, action="residency.end"):
        return
    from core.models import Residency, ResidencyStatus, Unit

    residency = await session.get(Residency, callback_data.residency_id)
    unit = await session.get(Unit, residency.unit_id) if residency else None
    if residency is None or unit is None or unit.community_id != community.id:
        await query.answer(_("This resident is not in this community."), show_alert=True)
        return
    if residency.status != ResidencyStatus.ACTIVE:
        await query.answer(_("This residency has already ended."), show_alert=True)
        return
    person = await session.get(Person, residency.person_id)
    assert person is not None and isinstance(query.message, Message)
    from core.identity import unit_label

    label = await unit_label(session, unit.id)
    if not callback_data.confirm:
        await query.answer()
        with app.i18n.use_locale(community.locale):
            await query.message.reply(
                _(
                    "End the residency of {name} in {unit}? Their passes, face data and "
                    "invitations are revoked at once."
                ).format(name=html.escape(person.full_name), unit=html.escape(label)),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            InlineKeyboardButton(
                                text=_("Yes, end it"),
                                callback_data=EndCb(residency_id=residency.id, confirm=True).pack(),
                            )
                        ]
                    ]
                ),
            )
        return
    assert identity.person_id is not None
    await end_residency(
        session,
        residency.id,
        clock=app.clock,
        reason="ended_by_staff",
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
    )
    await session.commit()
    await query.answer(_("Residency ended."))
    with app.i18n.use_locale(community.locale):
        await query.message.edit_text(
            _("Residency of {name} in {unit} ended by {staff}.").format(
                name=html.escape(person.full_name),
                unit=html.escape(label),
                staff=html.escape(await staff_name(session, identity, query.from_user)),
            )
        )
    delivery = await send_to_person(
        app,
        person,
        lambda: _("The property office has ended your residency in {unit}.").format(unit=label),
    )
    if person.telegram_id is not None:
        await tell_staff_unreachable(app, community, person.full_name, delivery)
    await post_handover(
        app, session, community, residency.id, person.full_name, label, HandoverDirection.RETURNED
    )


# --- housekeeping (a periodic job, see bot.app.register_jobs) ------------------------------------


async def movein_housekeeping(ctx: AppContext) -> None:
    """Purge expired document references and stale drafts, end tenancies whose
    lease is over (telling the tenant and staff), and post applications that
    could not reach the admin group when they were submitted."""
    from sqlalchemy import select

    from core.db import transaction
    from core.invitations import purge_failures
    from core.models import Residency, Unit
    from core.residents import end_expired_tenancies, purge_documents

    with ctx.i18n.context():
        async with transaction(ctx.session_factory) as session:
            purged = await purge_documents(session, ctx.clock)
            await purge_failures(session, ctx.clock.now())
            ended = await end_expired_tenancies(session, ctx.clock)
        if purged or ended:
            log.info(
                "move-in housekeeping",
                extra={"fields": {"documents_purged": purged, "tenancies_ended": len(ended)}},
            )
        async with ctx.session_factory() as session:
            for residency_id in ended:
                residency = await session.get(Residency, residency_id)
                assert residency is not None
                unit = await session.get(Unit, residency.unit_id)
                person = await session.get(Person, residency.person_id)
                community = await session.get(Community, unit.community_id) if unit else None
                if unit is None or person is None or community is None or ctx.bot is None:
                    continue
                from core.identity import unit_label

                label = await unit_label(session, unit.id)
                delivery = await send_to_person(
                    ctx,
                    person,
                    partial(_lease_ended_text, label),
                )
                if person.telegram_id is not None:
                    await tell_staff_unreachable(ctx, community, person.full_name, delivery)
                await post_handover(
                    ctx,
                    session,
                    community,
                    residency.id,
                    person.full_name,
                    label,
                    HandoverDirection.RETURNED,
                )
                await session.commit()
            unposted = (
                await session.scalars(
                    select(MoveInApplication.id)
                    .join(Community, Community.id == MoveInApplication.community_id)
                    .where(
                        MoveInApplication.status == ApplicationStatus.SUBMITTED,
                        MoveInApplication.admin_message_id.is_(None),
                        Community.admin_chat_id.is_not(None),
                    )
                    .order_by(MoveInApplication.id)
                )
            ).all()
            for application_id in unposted:
                try:
                    await post_application(ctx, session, application_id)
                    await session.commit()
                except TelegramBadRequest:
                    log.warning("application still not posted", exc_info=True)
                    await session.rollback()


def _lease_ended_text(unit: str) -> str:
    return _(
        "Your lease for {unit} has ended, so your access to it has ended too. "
        "If you are staying longer, ask the property office to register the "
        "new lease."
    ).format(unit=unit)
