"""Household members: an owner enrolls (or deletes) family living in their home.

1. "👪 Household members" lists each member with their status, a 📸 to enroll and,
   when enrolled, a 🗑 to delete (``delete``).
2. 📸 on a member whose consent is open goes straight to the photos (``enroll``);
   otherwise: is the member a child (under the guardian age)?
   - a child: the owner consents as parent or guardian (``consent``);
   - an adult without Telegram: the owner reads the consent to them and confirms
     that they agreed (``consent``);
   - an adult with Telegram: only their own "yes" counts — they are asked in their
     own chat, and the owner is told the answer (with a button to send the photos
     once they agreed).
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import ConsentKind
from access.faces.store import (
    GUARDIAN_AGE,
    FaceError,
    active_consent,
    household_members,
    household_unit,
    record_consent,
    text_digest,
)
from access.lookups import community_by_id, person_by_id
from bot.context import AppContext
from bot.notify import send_to_person
from core.identity import Identity
from core.models import Community
from handlers.faces.consent import show_consent
from handlers.faces.enroll import start_photos
from handlers.faces.texts import consent_text, error_text
from handlers.faces.views import (
    FaceCb,
    button,
    freeze,
    keyboard,
    leave_flow,
    locale,
    no_name,
    subject_name,
)
from handlers.kit import answer_query, commit_before_send, private_router, reply

router = private_router("faces.family")


@router.callback_query(FaceCb.filter(F.action == "members"), StateFilter("*"))
async def members_list(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await leave_flow(state, session)
    me, cid = identity.person_id, callback_data.community
    members = await household_members(session, me, cid) if me is not None else []
    if not members:
        await reply(query, error_text("not_household"), alert=True)
        return
    lines = [_("👪 <b>Face access for your household</b>")]
    rows: list[list[InlineKeyboardButton]] = []
    for m in members:
        name = m.full_name or no_name()
        if m.templates:
            status = _("enrolled (photos: {count})").format(count=m.templates)
        else:
            status = _("not enrolled")
        lines.append(
            _("• {name} ({unit}): {status}").format(
                name=html.escape(name), unit=html.escape(m.unit_label), status=status
            )
        )
        row = [button(_("📸 {name}").format(name=name), "member", m.person_id, cid)]
        if m.templates:
            row.append(button(_("🗑 {name}").format(name=name), "delete", m.person_id, cid))
        rows.append(row)
    lines.append("")
    lines.append(_("📸 enrolls (or enrolls again), 🗑 deletes that person's face data."))
    await reply(query, "\n".join(lines), reply_markup=keyboard(*rows))


async def _member_or_refuse(
    query: CallbackQuery, session: AsyncSession, identity: Identity, callback_data: FaceCb
) -> Community | None:
    me = identity.person_id
    community = await community_by_id(session, callback_data.community)
    try:
        if me is None or community is None:
            raise FaceError("not_household")
        await household_unit(session, me, callback_data.person, callback_data.community)
    except FaceError as exc:
        await reply(query, error_text(exc.code), alert=True)
        return None
    return community


@router.callback_query(FaceCb.filter(F.action == "member"), StateFilter("*"))
async def member_chosen(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    await leave_flow(state, session)
    community = await _member_or_refuse(query, session, identity, callback_data)
    if community is None:
        return
    name = await subject_name(session, callback_data.person)
    if await active_consent(session, callback_data.person, community.id) is not None:
        await answer_query(query)
        await start_photos(query, state, app, community, callback_data.person, name, self_=False)
        return
    await reply(
        query,
        _("Is {name} under {age}?").format(name=html.escape(name), age=GUARDIAN_AGE),
        reply_markup=keyboard(
            [
                button(
                    _("👶 Under {age}").format(age=GUARDIAN_AGE),
                    "minor",
                    callback_data.person,
                    community.id,
                )
            ],
            [
                button(
                    _("🧑 {age} or older").format(age=GUARDIAN_AGE),
                    "adult",
                    callback_data.person,
                    community.id,
                )
            ],
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
    name = await subject_name(session, callback_data.person)
    await show_consent(query, state, community, callback_data.person, name, ConsentKind.GUARDIAN)


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
    if community is None or identity.person_id is None:
        return
    member = await person_by_id(session, callback_data.person)
    owner = await person_by_id(session, identity.person_id)
    if member is None or owner is None:
        await answer_query(query)
        return
    name = member.full_name or no_name()
    if member.telegram_id is None:
        await show_consent(query, state, community, member.id, name, ConsentKind.HOUSEHOLD)
        return
    # They can be asked: only their own "yes" counts.
    owner_name = owner.full_name or _("A household member")
    delivery = await send_to_person(
        app,
        member,
        lambda: consent_text(community.name, ConsentKind.MEMBER, owner=owner_name),
        reply_markup=lambda: keyboard(
            [button(_("✅ I agree"), "magree", owner.id, community.id)],
            [button(_("✖️ No, thank you"), "mdecline", owner.id, community.id)],
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
    await reply(query, text)


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
    owner = await person_by_id(session, callback_data.person)
    community = await community_by_id(session, callback_data.community)
    if me is None or owner is None or community is None or not isinstance(query.message, Message):
        await answer_query(query, _("This button is no longer active."))
        return
    my_name = identity.full_name or no_name()
    if callback_data.action == "mdecline":
        await answer_query(query)
        await freeze(query.message, _("✖️ Declined."))
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
            locale=locale(),
            now=app.clock.now(),
        )
    except FaceError as exc:
        await reply(query, error_text(exc.code), alert=True)
        return
    # The owner is sent a button to enroll the member's photos; pressing it (their
    # own update) must find this consent.
    await commit_before_send(session)
    await answer_query(query, _("Consent recorded."))
    await freeze(query.message, _("✅ Agreed."))
    await query.message.answer(
        _(
            "Thank you. {owner} can now send photos of you for the gate — or send your own "
            "selfie here. Delete it any time: 🙂 Face access → 🗑 Delete my face data."
        ).format(owner=html.escape(owner.full_name or "")),
        reply_markup=keyboard([button(_("📸 Send my selfie"), "enroll", me, community.id)]),
    )
    await send_to_person(
        app,
        owner,
        lambda: _("{name} agreed to face access.").format(name=html.escape(my_name)),
        reply_markup=lambda: keyboard(
            [
                button(
                    _("📸 Send {name}'s photos").format(name=my_name),
                    "member",
                    me,
                    community.id,
                )
            ]
        ),
    )
