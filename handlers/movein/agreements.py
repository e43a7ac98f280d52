"""Moving in: the community rules and the property service contract.

1. The rules (业主公约), rendered for the community in the person's language,
   split into messages; "I have read and accept" on the last one.
2. The same for the service contract.
3. What was shown (version, language, hash) is kept as the acceptance.
4. Next: an invitation finishes (:mod:`.joined`), an application shows its
   summary (:mod:`.submit`).
"""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.agreements import Acceptance, AgreementError, render_agreement
from core.identity import Identity
from core.movein.homes import get_community
from core.movein_models import AgreementKind
from core.residents import community_today
from handlers.kit import answer_query, private_router, reply
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.joined import finish_invitation
from handlers.movein.submit import show_summary
from handlers.movein.views import button, cancel_button, chat, current_locale, drop_buttons

log = logging.getLogger(__name__)

router = private_router("movein.agreements")

AGREEMENTS = (AgreementKind.RULES, AgreementKind.CONTRACT)


async def show_agreement(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext, kind: AgreementKind
) -> None:
    data = await state.get_data()
    community = await get_community(session, int(data["community_id"]))
    assert community is not None
    try:
        rendered = render_agreement(
            community,
            kind,
            current_locale(),
            today=community_today(community, app.clock),
            unit_label=data.get("unit_label", ""),
            resident_name=data.get("full_name", ""),
        )
    except AgreementError:
        log.exception("agreement template unusable", extra={"fields": {"kind": kind.value}})
        raise
    await state.set_state(MoveIn.rules if kind == AgreementKind.RULES else MoveIn.contract)
    await state.update_data(
        shown={
            "kind": kind.value,
            "version": rendered.version,
            "locale": rendered.locale,
            "sha256": rendered.sha256,
        }
    )
    parts = rendered.parts()
    head = (
        _("Please read the community rules (业主公约):")
        if kind == AgreementKind.RULES
        else _("Please read the property service contract:")
    )
    await reply(message, head)
    for part in parts[:-1]:
        await reply(message, part)
    await reply(
        message,
        parts[-1],
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [button(_("✅ I have read and accept"), "acc", AGREEMENTS.index(kind))],
                [cancel_button()],
            ]
        ),
    )


@router.callback_query(MvCb.filter(F.action == "acc"), StateFilter(MoveIn.rules, MoveIn.contract))
async def agreement_accepted(
    query: CallbackQuery,
    callback_data: MvCb,
    state: FSMContext,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
) -> None:
    data = await state.get_data()
    shown = data.get("shown") or {}
    if (
        callback_data.id >= len(AGREEMENTS)
        or shown.get("kind") != AGREEMENTS[callback_data.id].value
    ):
        await answer_query(query, _("This button is no longer active."))
        return
    acceptance = Acceptance(
        AgreementKind(shown["kind"]),
        shown["version"],
        shown["locale"],
        shown["sha256"],
        app.clock.now(),
    )
    acceptances = [a for a in data.get("acceptances", []) if a["kind"] != shown["kind"]]
    acceptances.append(acceptance.to_json())
    await state.update_data(acceptances=acceptances, shown=None)
    message = chat(query)
    await drop_buttons(message)
    await answer_query(query, _("Accepted."))
    if acceptance.kind == AgreementKind.RULES:
        await show_agreement(message, state, session, app, AgreementKind.CONTRACT)
        return
    if data.get("mode") == "invite":
        await finish_invitation(message, state, session, app, identity)
        return
    await show_summary(message, state, session, identity)


@router.message(StateFilter(MoveIn.rules, MoveIn.contract))
async def agreement_pending(message: Message) -> None:
    await reply(
        message,
        _(
            "Please read the document above and press “I have read and accept” to continue, or "
            "send /cancel."
        ),
    )
