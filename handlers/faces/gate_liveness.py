"""``/liveness`` in the admin group: a manager chooses each gate's live-person check.

1. ``/liveness`` (``faces.liveness``, managers): each active gate with its mode, and
   two buttons per gate: the blink / turn test, or off.
2. "Off" first shows the risk (a printed photo or a phone screen showing a resident
   opens the gate); only "I accept the risk" turns it off, recorded with the manager's
   name and audited (``faces.liveness``).
3. The blink / turn test is chosen at once. Liveness-capable terminals (IR or depth
   cameras) are registered by the operator: ``courtyard faces liveness … terminal``.
"""

from __future__ import annotations

import html

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.liveness import LivenessMode
from access.faces.store import FaceError
from access.faces.store.liveness import community_gate_policies, set_gate_policy
from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from handlers.faces.staff import mode_label
from handlers.kit import admin_router, answer_query, edit, reply

router = admin_router("faces.gate_liveness")


class LivenessCb(CallbackData, prefix="flv"):
    gate: int
    # challenge | off (asks first) | accept_off | back
    act: str


async def _overview(
    session: AsyncSession, community: Community
) -> tuple[str, InlineKeyboardMarkup]:
    lines, rows = [], []
    for gate_id, name, policy in await community_gate_policies(session, community.id):
        lines.append(f"• {html.escape(name)}: {mode_label(policy.mode)}")
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("🔒 {gate}: blink / turn test").format(gate=name),
                    callback_data=LivenessCb(gate=gate_id, act="challenge").pack(),
                ),
                InlineKeyboardButton(
                    text=_("⚠️ {gate}: off").format(gate=name),
                    callback_data=LivenessCb(gate=gate_id, act="off").pack(),
                ),
            ]
        )
    if not lines:
        return _("{community} has no gates yet.").format(community=html.escape(community.name)), (
            InlineKeyboardMarkup(inline_keyboard=[])
        )
    text = _("Live-person check at the gates of {community}:").format(
        community=html.escape(community.name)
    )
    return text + "\n" + "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("liveness"), flags={"staff": "faces.liveness"})
async def show(message: Message, community: Community, session: AsyncSession) -> None:
    text, keyboard = await _overview(session, community)
    await reply(message, text, reply_markup=keyboard)


@router.callback_query(LivenessCb.filter(F.act == "off"), flags={"staff": "faces.liveness"})
async def ask_off(query: CallbackQuery, callback_data: LivenessCb) -> None:
    await answer_query(query)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("⚠️ I accept the risk: turn it off"),
                    callback_data=LivenessCb(gate=callback_data.gate, act="accept_off").pack(),
                ),
                InlineKeyboardButton(
                    text=_("Keep the test"),
                    callback_data=LivenessCb(gate=callback_data.gate, act="back").pack(),
                ),
            ]
        ]
    )
    await edit(
        query,
        _(
            "⚠️ Without the live-person check, a printed photo or a phone screen showing an "
            "enrolled resident opens this gate as well as the resident does. Turn it off only "
            "if the gate is watched or its camera checks liveness itself."
        ),
        reply_markup=keyboard,
    )


@router.callback_query(
    LivenessCb.filter(F.act.in_({"challenge", "accept_off", "back"})),
    flags={"staff": "faces.liveness"},
)
async def choose(
    query: CallbackQuery,
    callback_data: LivenessCb,
    community: Community,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if callback_data.act != "back":
        off = callback_data.act == "accept_off"
        try:
            await set_gate_policy(
                session,
                gate_id=callback_data.gate,
                mode=LivenessMode.OFF if off else LivenessMode.CHALLENGE,
                capable_terminals=[],
                chosen_by=identity.full_name or str(identity.telegram_id),
                accept_risk=off,
                now=app.clock.now(),
                community_id=community.id,
                actor_person_id=identity.person_id,
            )
        except FaceError:
            await answer_query(query, _("This button is no longer active."), alert=True)
            return
    await answer_query(query, _("Saved.") if callback_data.act != "back" else None)
    text, keyboard = await _overview(session, community)
    await edit(query, text, reply_markup=keyboard)
