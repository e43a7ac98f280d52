"""Keys and access card, in the admin group.

1. On approval (and on moving in by application) staff get "Hand over keys and
   access card to …"; when a residency ends, "Collect keys and access card from …".
2. Each item has a button ("Keys handed over", "Access card returned", …);
   managers and guards press it when it happens.
3. The card shows who logged each item and when; a logged item loses its button.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.notify import send_to_admin_group, send_to_person
from bot.sender import Delivery
from core.formatting import fmt_short_datetime
from core.identity import Identity
from core.models import Community
from core.movein.office import ResidencyCard, person_names, residency_card
from core.movein_models import HandoverDirection, HandoverItem
from core.residents import handover_log, record_handover
from handlers.kit import admin_router, answer_query, button_enum, refuse_foreign
from handlers.movein.callbacks import HandoverCb
from handlers.movein.notices import staff_name, tell_staff_unreachable
from handlers.movein.posting import movein_thread
from handlers.movein.texts import item_label

log = logging.getLogger(__name__)

router = admin_router("movein.handover")


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
    names = await person_names(session, (e.by_person_id for e in latest.values()))
    return await send_to_admin_group(
        app,
        community,
        lambda: handover_text(community, name, unit_label, direction, latest, names),
        thread_id=await movein_thread(app, community),
        reply_markup=lambda: handover_keyboard(residency_id, direction, latest),
    )


async def ask_for_keys_back(
    app: AppContext, session: AsyncSession, card: ResidencyCard, name: str, unit_label: str
) -> None:
    """A resident left by themselves (moved out, erased their data): staff get the
    card to collect keys and access card. The move-out stands even if the group
    cannot be reached, so a refused post is only logged."""
    try:
        await post_handover(
            app,
            session,
            card.community,
            card.residency_id,
            name,
            unit_label,
            HandoverDirection.RETURNED,
        )
    except TelegramBadRequest:
        log.warning("move-out notice not posted", exc_info=True)


async def tell_residency_ended(
    app: AppContext, session: AsyncSession, card: ResidencyCard, text: Callable[[], str]
) -> None:
    """After the office or the lease ended a residency: the resident is told (staff
    are, if the bot cannot reach a resident who has Telegram), and staff get the
    card to collect keys and access card."""
    person = card.person
    delivery = await send_to_person(app, person, text)
    if person.telegram_id is not None:
        await tell_staff_unreachable(app, card.community, person.full_name, delivery)
    await post_handover(
        app,
        session,
        card.community,
        card.residency_id,
        person.full_name,
        card.unit_label,
        HandoverDirection.RETURNED,
    )


@router.callback_query(HandoverCb.filter(), flags={"staff": "movein.handover"})
async def handover_pressed(
    query: CallbackQuery,
    callback_data: HandoverCb,
    session: AsyncSession,
    app: AppContext,
    identity: Identity,
    community: Community,
) -> None:
    card = await residency_card(session, callback_data.residency_id, community_id=community.id)
    if card is None:
        await refuse_foreign(
            query,
            session,
            identity,
            "movein.handover",
            _("This resident is not in this community."),
            target_type="residency",
            target_id=callback_data.residency_id,
            community_id=community.id,
        )
        return
    assert identity.person_id is not None
    await staff_name(session, identity, query.from_user)  # shown in the log below
    direction = button_enum(HandoverDirection, callback_data.direction)
    entry = await record_handover(
        session,
        card.residency_id,
        button_enum(HandoverItem, callback_data.item),
        direction,
        by_person_id=identity.person_id,
        by_telegram_id=identity.telegram_id,
        clock=app.clock,
    )
    await answer_query(query, _("Logged.") if entry else _("Already logged."))
    latest = await handover_log(session, card.residency_id)
    names = await person_names(session, (e.by_person_id for e in latest.values()))
    if isinstance(query.message, Message):
        await query.message.edit_text(
            handover_text(
                community, card.person.full_name, card.unit_label, direction, latest, names
            ),
            reply_markup=handover_keyboard(card.residency_id, direction, latest),
        )
