"""Face access home: where a resident starts (🙂 Face access, or /face).

1. A resident of several communities first picks the community.
2. The home shows the person's status (enrolled since …, how many photos) and the
   ways on: enroll (again), delete the face data, and — for an owner with family
   living in their home — the household members.

Opening it leaves any face step that was open (its pending photos are discarded).
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.store import face_status, household_members
from access.lookups import communities_by_id, community_by_id
from core.formatting import fmt_date, local_dt
from core.identity import Identity
from handlers.faces.texts import error_text
from handlers.faces.views import (
    FaceCb,
    button,
    community_ids,
    keyboard,
    leave_flow,
    locale,
)
from handlers.kit import private_router, refuse_foreign, reply

router = private_router("faces.home")


@router.callback_query(F.data == "menu:faces", StateFilter("*"))
@router.message(Command("face"), StateFilter("*"))
async def faces_entry(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await leave_flow(state, session)
    communities = community_ids(identity)
    if identity.person_id is None or not communities:
        await reply(event, _("Face access is for residents. Join your home first: /start"))
        return
    if len(communities) == 1:
        await send_home(event, session, identity, communities[0])
        return
    found = await communities_by_id(session, communities)
    rows = [
        [button(f"🏘 {found[cid].name}", "home", community=cid)]
        for cid in communities
        if cid in found
    ]
    await reply(event, _("Face access for which community?"), reply_markup=keyboard(*rows))


@router.callback_query(FaceCb.filter(F.action == "home"), StateFilter("*"))
async def faces_home(
    query: CallbackQuery,
    callback_data: FaceCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await leave_flow(state, session)
    if callback_data.community not in community_ids(identity):
        await refuse_foreign(
            query,
            session,
            identity,
            "home.use",
            error_text("not_resident"),
            target_type="community",
            target_id=callback_data.community,
        )
        return
    await send_home(query, session, identity, callback_data.community)


async def send_home(
    event: Message | CallbackQuery, session: AsyncSession, identity: Identity, community_id: int
) -> None:
    assert identity.person_id is not None
    community = await community_by_id(session, community_id)
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
                date=fmt_date(since.date(), locale()) if since else "—",
            )
        )
        rows.append([button(_("📸 Enroll again"), "enroll", me, community_id)])
    else:
        lines.append(_("Your status: not enrolled."))
        rows.append([button(_("📸 Enroll my face"), "enroll", me, community_id)])
    if status.templates or status.consent is not None:
        rows.append([button(_("🗑 Delete my face data"), "delete", me, community_id)])
    # Only an owner has household members (the store answers none for anyone else).
    if await household_members(session, me, community_id):
        rows.append([button(_("👪 Household members"), "members", 0, community_id)])
    await reply(event, "\n".join(lines), reply_markup=keyboard(*rows))
