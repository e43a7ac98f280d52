"""The resident's profile (homes and roles, move-out, withdrawing an application)
and ``/privacy``: see everything we keep about you, download it, delete it.

Moving out ends the residency at once — it only takes away the resident's own
access — and asks staff in the admin group to collect keys and access card.
"""

from __future__ import annotations

import html
import json
import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import private_command
from bot.context import AppContext
from core.formatting import fmt_date, fmt_short_datetime
from core.identity import Identity, load_identity
from core.models import Community, Person, Residency, ResidencyStatus
from core.movein_models import AgreementKind, HandoverDirection
from core.residents import (
    ResidentsError,
    end_residency,
    erase_personal_data,
    personal_data,
    personal_export,
    withdraw_application,
)
from handlers.menu import menu_entry, menu_keyboard
from handlers.review import post_handover, refresh_card, role_label, status_label

log = logging.getLogger(__name__)

router = Router(name="movein.profile")
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

menu_entry(
    "profile",
    __("👤 My profile"),
    lambda i: i.is_resident or bool(i.pending_units) or i.is_staff,
    order=90,
)
private_command("profile", __("My profile: homes and roles"), order=80)
private_command("privacy", __("See, download or delete my data"), order=85)


class PrCb(CallbackData, prefix="pr"):
    action: str  # out/outy (move out), wd/wdy (withdraw), export, erase/erasey, privacy
    id: int = 0


def _button(text: str, action: str, id_: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PrCb(action=action, id=id_).pack())


def _locale() -> str:
    from aiogram.utils.i18n import get_i18n

    return get_i18n().current_locale


def _agreement_name(kind: AgreementKind) -> str:
    return {
        AgreementKind.RULES: _("community rules"),
        AgreementKind.CONTRACT: _("property service contract"),
    }[kind]


# --- profile ------------------------------------------------------------------------------


async def _profile(session: AsyncSession, identity: Identity) -> tuple[str, InlineKeyboardMarkup]:
    assert identity.person_id is not None
    data = await personal_data(session, identity.person_id)
    locale = _locale()
    lines = [
        _("👤 <b>{name}</b>").format(name=html.escape(data.full_name or _("(no name)"))),
        _("Phone: {phone}").format(phone=html.escape(data.phone or "—")),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    active = [r for r in data.residencies if r.status == ResidencyStatus.ACTIVE]
    if active:
        lines.append("")
        lines.append(_("Your homes:"))
    for r in active:
        since = fmt_date(r.start_date, locale) if r.start_date else "—"
        line = _("• {unit}, {community} — {role}, since {since}").format(
            unit=html.escape(r.unit_label),
            community=html.escape(r.community_name),
            role=role_label(r.role),
            since=since,
        )
        if r.end_date is not None:
            line += " " + _("(until {date})").format(date=fmt_date(r.end_date, locale))
        lines.append(line)
        rows.append(
            [_button(_("🚪 Move out of {unit}").format(unit=r.unit_label), "out", r.residency_id)]
        )
    waiting = [a for a in data.applications if a.status.is_open]
    if waiting:
        lines.append("")
        lines.append(_("Your applications:"))
    for a in waiting:
        lines.append(
            _("• #{id} {unit}, {community} — {status}").format(
                id=a.application_id,
                unit=html.escape(a.unit_label),
                community=html.escape(a.community_name),
                status=status_label(a.status),
            )
        )
        rows.append(
            [
                _button(
                    _("Withdraw application for {unit}").format(unit=a.unit_label),
                    "wd",
                    a.application_id,
                )
            ]
        )
    if data.staff_of:
        from core.models import StaffRole
        from handlers.staff import role_names

        names = role_names()
        lines.append("")
        lines.append(_("Staff:"))
        lines += [f"• {html.escape(c)} — {names[StaffRole(r)]}" for c, r in data.staff_of]
    rows.append([InlineKeyboardButton(text=_("➕ Add another home"), callback_data="menu:movein")])
    rows.append([_button(_("🔒 My data and privacy"), "privacy")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("profile"), StateFilter("*"))
async def profile_command(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    text, markup = await _profile(session, identity)
    await message.answer(text, reply_markup=markup)


@router.callback_query(F.data == "menu:profile", StateFilter("*"))
async def profile_menu(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    await state.clear()
    await query.answer()
    text, markup = await _profile(session, identity)
    assert isinstance(query.message, Message)
    await query.message.answer(text, reply_markup=markup)


async def _edit(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    assert isinstance(query.message, Message)
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest:
        await query.message.answer(text, reply_markup=markup)


# --- moving out -------------------------------------------------------------------------------


@router.callback_query(PrCb.filter(F.action.in_({"out", "outy"})), StateFilter("*"))
async def move_out(
    query: CallbackQuery,
    callback_data: PrCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    membership = next((u for u in identity.units if u.residency_id == callback_data.id), None)
    if membership is None:
        await query.answer(_("You no longer live there."), show_alert=True)
        return
    if callback_data.action == "out":
        await query.answer()
        await _edit(
            query,
            _(
                "Move out of {unit}? Your access to the home ends now: gate passes, face "
                "data and invitations of this home are revoked. Please return keys and "
                "access card to the property office."
            ).format(unit=html.escape(membership.unit_label)),
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [_button(_("Yes, I have moved out"), "outy", membership.residency_id)],
                    [InlineKeyboardButton(text=_("⬅ Back"), callback_data="menu:profile")],
                ]
            ),
        )
        return
    residency = await end_residency(
        session,
        membership.residency_id,
        clock=app.clock,
        reason="moved_out",
        actor_person_id=identity.person_id,
        actor_telegram_id=identity.telegram_id,
    )
    await session.commit()
    await query.answer()
    refreshed = await load_identity(session, identity.telegram_id)
    await _edit(
        query,
        _("You have moved out of {unit}. Thank you for living with us!").format(
            unit=html.escape(membership.unit_label)
        ),
    )
    assert isinstance(query.message, Message)
    await query.message.answer(_("What can I do for you?"), reply_markup=menu_keyboard(refreshed))
    community = await session.get(Community, membership.community_id)
    person = await session.get(Person, residency.person_id)
    if community is not None and person is not None:
        try:
            await post_handover(
                app,
                session,
                community,
                residency.id,
                person.full_name,
                membership.unit_label,
                HandoverDirection.RETURNED,
            )
        except TelegramBadRequest:
            log.warning("move-out notice not posted", exc_info=True)


@router.callback_query(PrCb.filter(F.action.in_({"wd", "wdy"})), StateFilter("*"))
async def withdraw(
    query: CallbackQuery,
    callback_data: PrCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    assert identity.person_id is not None
    if callback_data.action == "wd":
        await query.answer()
        await _edit(
            query,
            _("Withdraw application #{id}? Its documents are deleted.").format(id=callback_data.id),
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [_button(_("Yes, withdraw"), "wdy", callback_data.id)],
                    [InlineKeyboardButton(text=_("⬅ Back"), callback_data="menu:profile")],
                ]
            ),
        )
        return
    try:
        await withdraw_application(session, callback_data.id, identity.person_id, clock=app.clock)
    except ResidentsError:
        await query.answer(_("This application is already decided."), show_alert=True)
        return
    await session.commit()
    await query.answer()
    await _edit(query, _("Application #{id} withdrawn.").format(id=callback_data.id))
    try:
        await refresh_card(app, session, callback_data.id)
    except TelegramBadRequest:
        log.info("card not refreshed", exc_info=True)


# --- privacy ------------------------------------------------------------------------------------


async def _privacy(session: AsyncSession, app: AppContext, identity: Identity) -> str:
    assert identity.person_id is not None
    data = await personal_data(session, identity.person_id)
    locale = _locale()
    lines = [
        _("🔒 <b>What we keep about you</b>"),
        _("Name: {name}").format(name=html.escape(data.full_name or "—")),
        _("Phone: {phone}").format(phone=html.escape(data.phone or "—")),
        _("Language: {language}").format(language=data.locale or "—"),
        _("Homes (current and past): {n}").format(n=len(data.residencies)),
    ]
    zones = {r.community_name: r.timezone for r in data.residencies}
    for a in data.applications:
        tz = zones.get(a.community_name, app.settings.timezone)
        if a.documents and a.purge_after is not None:
            held = _("{n} document photos, deleted on {date}").format(
                n=a.documents, date=fmt_short_datetime(a.purge_after, tz, locale)
            )
        elif a.documents:
            held = _("{n} document photos, deleted a set number of days after the decision").format(
                n=a.documents
            )
        else:
            held = _("no documents kept")
        lines.append(
            _("Application #{id} ({unit}, {status}): {held}").format(
                id=a.application_id,
                unit=html.escape(a.unit_label),
                status=status_label(a.status),
                held=held,
            )
        )
    for x in data.acceptances:
        lines.append(
            _("Accepted the {document} (version {version}) on {date}").format(
                document=_agreement_name(x.document),
                version=html.escape(x.version),
                date=fmt_short_datetime(x.accepted_at, app.settings.timezone, locale),
            )
        )
    lines.append("")
    lines.append(
        _(
            "ID and ownership documents stay on Telegram's servers; we keep only a "
            "reference to them, deleted after the review period. The download also has "
            "your repair tickets, passes and gate records, payments and face data."
        )
    )
    return "\n".join(lines)


def _privacy_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("📥 Download my data"), "export")],
            [_button(_("🗑 Delete my data"), "erase")],
        ]
    )


@router.message(Command("privacy"), StateFilter("*"))
async def privacy_command(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    await state.clear()
    await message.answer(await _privacy(session, app, identity), reply_markup=_privacy_keyboard())


@router.callback_query(PrCb.filter(F.action == "privacy"), StateFilter("*"))
async def privacy_button(
    query: CallbackQuery, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    await query.answer()
    assert isinstance(query.message, Message)
    await query.message.answer(
        await _privacy(session, app, identity), reply_markup=_privacy_keyboard()
    )


@router.callback_query(PrCb.filter(F.action == "export"), StateFilter("*"))
async def export(query: CallbackQuery, session: AsyncSession, identity: Identity) -> None:
    assert identity.person_id is not None and isinstance(query.message, Message)
    data = await personal_export(session, identity.person_id)
    await query.answer()
    await query.message.answer_document(
        BufferedInputFile(
            json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
            filename="courtyard-my-data.json",
        ),
        caption=_("Everything Courtyard keeps about you."),
    )


@router.callback_query(PrCb.filter(F.action.in_({"erase", "erasey"})), StateFilter("*"))
async def erase(
    query: CallbackQuery,
    callback_data: PrCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    assert identity.person_id is not None
    if callback_data.action == "erase":
        await query.answer()
        await _edit(
            query,
            _(
                "Delete your data? You will be moved out of every home (passes and face "
                "access revoked), open applications are withdrawn, and your name, phone and "
                "documents are deleted, as are your visitors' and workers' details and what "
                "you wrote in finished repair tickets. Payments and gate entry records are "
                "kept, as the law requires; the audit log keeps that these things happened, "
                "without your name. This cannot be undone."
            ),
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [_button(_("Yes, delete everything"), "erasey")],
                    [_button(_("⬅ Back"), "privacy")],
                ]
            ),
        )
        return
    ended = list(identity.units)
    try:
        await erase_personal_data(session, identity.person_id, clock=app.clock)
    except ResidentsError as exc:
        if exc.code == "is_staff":
            await query.answer(
                _("You are staff of a community: ask a manager to remove you first."),
                show_alert=True,
            )
            return
        raise
    await session.commit()
    await query.answer()
    await _edit(query, _("Your data is deleted. Goodbye — you are welcome back any time."))
    for membership in ended:
        community = await session.get(Community, membership.community_id)
        residency = await session.get(Residency, membership.residency_id)
        if community is None or residency is None:
            continue
        try:
            await post_handover(
                app,
                session,
                community,
                residency.id,
                "—",
                membership.unit_label,
                HandoverDirection.RETURNED,
            )
        except TelegramBadRequest:
            log.warning("move-out notice not posted", exc_info=True)
