"""The visitor opens the share link a host forwarded (``t.me/<bot>?start=v_<key>``).

1. The link's key opens the pass (a cancelled, expired, used or unknown pass is
   explained instead).
2. The visitor gets, in their own language and without registering: the community
   and its address, the pass (who, when, which gates), the code, how to enter, the
   office's phone, and the QR image for the reader.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import SHARE_PREFIX
from access.gates import community_gates
from access.passes import PassError, open_shared_pass
from bot.context import AppContext
from handlers.gate.texts import format_code
from handlers.gate.views import pass_lines, qr_file
from handlers.kit import private_router

router = private_router("gate.visitor_link")


def _refusal(exc: PassError) -> str:
    texts = {
        "revoked": _("This pass has been cancelled by the resident who made it."),
        "expired": _("This pass has expired. Please ask the resident for a new one."),
        "used": _("This single-entry pass has already been used."),
    }
    return texts.get(
        exc.code, _("This pass link is not valid. Please check it with the resident who sent it.")
    )


@router.message(
    CommandStart(deep_link=True, magic=F.args.startswith(SHARE_PREFIX)), StateFilter("*")
)
async def visitor_opens_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    locale: str,
) -> None:
    await state.clear()
    share_key = (command.args or "")[len(SHARE_PREFIX) :]
    try:
        shared = await open_shared_pass(
            session, secret_key=app.secret_key, share_key=share_key, now=app.clock.now()
        )
    except PassError as exc:
        await message.answer(_refusal(exc))
        return
    row, community = shared.pass_, shared.community
    gates = await community_gates(session, community.id)
    lines = [
        _("🎫 Your pass for <b>{community}</b>").format(community=escape(community.name)),
    ]
    if community.address:
        lines.append(_("Address: {address}").format(address=escape(community.address)))
    lines.extend(pass_lines(row, community, gates, locale))
    lines.append(_("Code: <code>{code}</code>").format(code=format_code(shared.code)))
    lines.append("")
    lines.append(
        _(
            "How to enter: at the gate, type the 8 digits on the keypad, or hold the QR code "
            "below to the reader. The pass works only at the gates and times above."
        )
    )
    if row.max_uses == 1:
        lines.append(_("It opens the gate once."))
    if community.duty_phone:
        lines.append(
            _("Trouble at the gate? Call the property office: {phone}").format(
                phone=escape(community.duty_phone)
            )
        )
    await message.answer("\n".join(lines))
    await message.answer_photo(
        qr_file(shared.token, row.id), caption=_("Show this QR code to the gate's reader.")
    )
