"""Consent first: nothing is stored without it.

1. "📸 Enroll my face" (home): a resident whose consent is still open goes straight
   to the photos; anyone else sees the consent text — what is stored (a numeric
   template, never the photo), where (this community's own database), for how long
   (until deleted or move-out), that the photos travel through Telegram, and that
   codes, cards and remote opening stay available. The same screen, worded for
   someone else, serves an owner consenting for a child or for an adult of the
   household without Telegram (``family``).
2. Two buttons. Agreeing records the consent with the text's version, the SHA-256 of
   exactly the text shown (the message as the person saw it), the language and the
   time, keeps the text on screen marked "Agreed", and asks for the photos
   (``enroll``). Declining stores nothing. Anything typed meanwhile is answered with
   a pointer to the buttons.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.models import ConsentKind
from access.faces.store import (
    FaceError,
    active_consent,
    is_active_resident,
    record_consent,
    text_digest,
)
from access.lookups import community_by_id
from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from handlers.faces.enroll import start_photos
from handlers.faces.texts import agree_label, consent_text, error_text
from handlers.faces.views import (
    FaceCb,
    FaceFlow,
    button,
    freeze,
    keyboard,
    leave_flow,
    locale,
    no_name,
)
from handlers.kit import answer_query, private_router, refuse_foreign, reply

router = private_router("faces.consent")


async def show_consent(
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
    await reply(
        event,
        text,
        reply_markup=keyboard(
            [button(agree_label(kind, name), "agree", subject_id, community.id)],
            [button(_("✖️ No, thank you"), "decline", subject_id, community.id)],
        ),
    )


@router.callback_query(FaceCb.filter(F.action == "enroll"), StateFilter("*"))
async def enroll_self(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    await leave_flow(state, session)
    me = identity.person_id
    cid = callback_data.community
    community = await community_by_id(session, cid)
    if me is None or community is None or not await is_active_resident(session, me, cid):
        await refuse_foreign(
            query,
            session,
            identity,
            "faces.consent",
            error_text("not_resident"),
            target_type="community",
            target_id=cid,
        )
        return
    name = identity.full_name or no_name()
    if await active_consent(session, me, cid) is not None:
        await answer_query(query)
        await start_photos(query, state, app, community, me, name, self_=True)
        return
    await show_consent(query, state, community, me, name, ConsentKind.SELF)


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
        await answer_query(query, _("This button is no longer active."))
        return
    community = await community_by_id(session, callback_data.community)
    if community is None:
        await answer_query(query)
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
            locale=locale(),
            now=app.clock.now(),
        )
    except FaceError as exc:
        await state.clear()
        await reply(query, error_text(exc.code), alert=True)
        return
    await answer_query(query, _("Consent recorded."))
    await freeze(query.message, _("✅ Agreed."))
    await start_photos(
        query,
        state,
        app,
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
    await answer_query(query)
    if isinstance(query.message, Message):
        await freeze(query.message, _("✖️ Declined."))
        await query.message.answer(
            _(
                "No problem — nothing was stored. Codes, cards and opening the gate from this "
                "chat work as always."
            )
        )
