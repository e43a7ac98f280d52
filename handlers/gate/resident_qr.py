"""A resident's own gate QR: it opens their community's gates at the reader, also
while the gate has lost its connection to the server (a gate agent checks it).

1. ``/gateqr`` or 🔑 in the menu: what the QR is and that showing it replaces the
   previous one; a button per community the resident lives in (with gates).
2. A community's button → a new QR (the previous one stops working at once at the
   server, within seconds at the gate agents), sent as an image. A button for a
   community they no longer live in is refused (``refuse_foreign``).
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.passes import PassError
from access.passes.resident_key import show_resident_key
from bot.context import AppContext
from core.identity import Identity
from handlers.gate.keyboards import PassCb, button, keyboard
from handlers.gate.pass_steps import homes, resident_asking
from handlers.gate.texts import offline_gates_note
from handlers.gate.views import qr_png
from handlers.kit import (
    commit_before_send,
    menu_entry,
    private_command,
    private_router,
    refuse_foreign,
    reply,
    residents,
)

private_command("gateqr", __("My gate QR"), order=33)
menu_entry("passes_myqr", __("🔑 My gate QR"), residents, order=33)
router = private_router("gate.resident_qr")


async def _communities(session: AsyncSession, identity: Identity) -> dict[int, str]:
    """The communities (with gates) the resident lives in, by id."""
    return {h.community.id: h.community.name for h in await homes(session, identity)}


@router.message(Command("gateqr"), StateFilter("*"))
@router.callback_query(F.data == "menu:passes_myqr", StateFilter("*"))
async def qr_intro(
    event: Message | CallbackQuery, identity: Identity, state: FSMContext, session: AsyncSession
) -> None:
    if await resident_asking(event, state, identity) is None:
        return
    if not (communities := await _communities(session, identity)):
        await reply(event, _("Your community has no gates set up in Courtyard yet."))
        return
    rows = [
        [button(_("🔑 Show my gate QR · {community}").format(community=name), "myqr", cid)]
        for cid, name in communities.items()
    ]
    await reply(
        event,
        _(
            "Your own gate QR opens your community's gates at the reader — also when "
            "the gate has lost its connection to the server.\n\n"
            "Each time you show it, you get a new one and the previous one stops "
            "working. It stops working when you move out. Do not share it: it lets "
            "anyone in as you."
        ),
        reply_markup=keyboard(rows),
    )


@router.callback_query(PassCb.numbered("myqr"), StateFilter("*"))
async def qr_show(
    query: CallbackQuery,
    callback_data: PassCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    community_id = int(callback_data.value)
    names = await _communities(session, identity)
    if identity.person_id is None or community_id not in names:
        await refuse_foreign(
            query,
            session,
            identity,
            "access.resident_qr",
            _("You do not live in that community."),
            target_type="community",
            target_id=community_id,
        )
        return
    try:
        token = await show_resident_key(
            session,
            secret_key=app.secret_key,
            now=app.clock.now(),
            person_id=identity.person_id,
            community_id=community_id,
        )
    except PassError:
        await reply(query, _("You do not live in that community."), alert=True)
        return
    # The resident holds it to the reader at once: the gate must find it committed.
    await commit_before_send(session)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer_photo(
            BufferedInputFile(qr_png(token), "gate-qr.png"),
            caption=_(
                "🔑 Your gate QR for {community}: hold it to the gate's reader. "
                "Your previous gate QR no longer works."
            ).format(community=escape(names[community_id]))
            + await offline_gates_note(session, community_id),
        )
