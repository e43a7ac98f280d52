"""Deleting face data: "🗑 Delete my face data" (home), or an owner's 🗑 beside a
household member.

1. The templates go at once and the consent is withdrawn (enrolling again asks
   again); the gate's index follows at once.
2. The person is told what went, and that codes, cards and opening from the chat
   work as before.
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.store import FaceError, delete_face_data
from bot.context import AppContext
from core.identity import Identity
from handlers.faces.enroll import refresh_index
from handlers.faces.texts import error_text
from handlers.faces.views import FaceCb, drop_buttons, leave_flow, subject_name
from handlers.kit import answer_query, commit_before_send, private_router, reply

router = private_router("faces.delete")


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
        await answer_query(query)
        return
    await leave_flow(state, session)
    try:
        deleted = await delete_face_data(
            session,
            person_id=callback_data.person,
            community_id=callback_data.community,
            actor_person_id=me,
            now=app.clock.now(),
        )
    except FaceError as exc:
        await reply(query, error_text(exc.code), alert=True)
        return
    # The gate's index is rebuilt from the database on its own connection, and the
    # person is told their face no longer opens the gate: it must not, from then on.
    await commit_before_send(session)
    await refresh_index(app, callback_data.community)
    await answer_query(query, _("Deleted."))
    if callback_data.person == me:
        text = _(
            "🗑 Your face data is deleted (templates: {count}), and your consent is withdrawn. "
            "Your face no longer opens the gate. Codes, cards and opening from this chat work "
            "as before."
        ).format(count=deleted.templates)
    else:
        name = html.escape(await subject_name(session, callback_data.person))
        text = _(
            "🗑 {name}'s face data is deleted (templates: {count}), and the consent is "
            "withdrawn. {name}'s face no longer opens the gate."
        ).format(name=name, count=deleted.templates)
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await query.message.answer(text)
