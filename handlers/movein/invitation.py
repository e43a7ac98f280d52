"""Moving in with an invitation: finding it.

1. ``/start i_<code>`` (the letterbox QR code, a forwarded link), the "I have an
   invitation code" button then the code typed, or a code typed anywhere outside
   a conversation.
2. The code is checked (wrong codes are counted per account and throttled).
3. "Invitation to {unit}, {community}": the role, unless the invitation fixes it
   (:mod:`.details`), then the name.
4. Where the office confirms owners (``courtyard community add
   --owner-invitations-reviewed``), an invited owner goes on as an application
   for the invitation's unit: ID and ownership document, then the office's
   one-tap approval (:func:`.details.owners_apply`).
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.identity import Identity
from core.invitations import (
    InvitationError,
    code_from_payload,
    find_invitation,
    normalize_code,
    record_failure,
)
from core.models import ResidencyRole
from core.movein.homes import invitation_home
from core.movein.rules import LOOKS_LIKE_CODE, owners_reviewed
from core.movein_models import Invitation
from handlers.kit import menu_keyboard, private_router, reply
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.details import ask_name, owners_apply
from handlers.movein.texts import invitation_error_text
from handlers.movein.views import cancel_button, role_keyboard

router = private_router("movein.invitation")


@router.callback_query(MvCb.filter(F.action == "code"), StateFilter("*"))
async def ask_code(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(MoveIn.code)
    await state.set_data({})
    await reply(
        query,
        _("Type the code from your invitation, like ABCDE-FGHJK."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]]),
    )


@router.message(CommandStart(deep_link=True, magic=F.args.startswith("i_")), StateFilter("*"))
async def invitation_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    await state.clear()
    code = code_from_payload(command.args)
    if code is None:
        await reply(
            message, _("This invitation link is damaged. Type the code from the letter instead.")
        )
        await state.set_state(MoveIn.code)
        return
    await _try_code(message, code, state, session, app, identity)


@router.message(MoveIn.code, F.text)
async def code_typed(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    code = normalize_code(message.text or "")
    if code is None:
        await reply(
            message,
            _(
                "That doesn't look like an invitation code: it has 10 letters and digits, like "
                "ABCDE-FGHJK. Please type it again."
            ),
        )
        return
    await _try_code(message, code, state, session, app, identity)


@router.message(StateFilter(None), F.text.regexp(LOOKS_LIKE_CODE))
async def code_without_asking(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, identity: Identity
) -> None:
    code = normalize_code(message.text or "")
    if code is None:  # e.g. contains U: not one of ours
        await reply(
            message,
            _("I didn't catch that. Please choose from the menu:"),
            reply_markup=menu_keyboard(identity),
        )
        return
    await _try_code(message, code, state, session, app, identity)


@router.message(MoveIn.code)
async def code_not_text(message: Message) -> None:
    await reply(message, _("Please type the code as text, like ABCDE-FGHJK."))


async def _try_code(
    message: Message,
    code: str,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    assert message.from_user is not None
    try:
        invitation = await find_invitation(
            session,
            code,
            secret_key=app.secret_key,
            clock=app.clock,
            telegram_id=message.from_user.id,
            person_id=identity.person_id,
        )
    except InvitationError as exc:
        if exc.code == "invalid":
            await record_failure(app.session_factory, message.from_user.id, app.clock.now())
            await state.set_state(MoveIn.code)
        elif exc.code == "throttled":
            await state.clear()
        await reply(message, invitation_error_text(exc.code))
        return
    await _start_invitation(message, invitation, state, session)


async def _start_invitation(
    message: Message, invitation: Invitation, state: FSMContext, session: AsyncSession
) -> None:
    unit, community = await invitation_home(session, invitation)
    await state.set_data(
        {
            "mode": "invite",
            "invitation_id": invitation.id,
            "community_id": community.id,
            "unit_id": unit.id,
            "unit_label": unit.label,
            "community_name": community.name,
            "role": invitation.role.value if invitation.role else None,
            "acceptances": [],
            "owner_review": owners_reviewed(community.config),
        }
    )
    intro = _("Invitation to {unit}, {community}.").format(
        unit=html.escape(unit.label), community=html.escape(community.name)
    )
    if invitation.role is None:
        await state.set_state(MoveIn.role)
        await reply(
            message,
            intro + "\n" + _("Who are you in this home?"),
            reply_markup=role_keyboard(back=False),
        )
        return
    await reply(message, intro)
    if invitation.role == ResidencyRole.OWNER:
        await owners_apply(message, state)
    await ask_name(message, state)
