"""How walk-ins and intercom calls reach people on Telegram
(:class:`access.walkins.notify.WalkinNotifier`).

- a ringing call → every resident of the unit, in their language: the gate camera's
  photo (or the guard's) with who is there, and ✅ Let in once / ✖️ Refuse / 🔕 Mute
  (``walkin_answer``); the photo is uploaded once and re-sent by its file id;
- nobody lives in the unit, nobody could be reached, or no answer in time → the
  community's admin group, for the guards.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from html import escape
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from access.lookups import person_by_id
from access.walkins.models import CallStatus
from access.walkins.notify import Ring, RingMessage
from access.walkins.views import CallView
from bot.notify import locale_of
from bot.sender import deliver
from core.formatting import fmt_time
from handlers.gate.notifier import ChatNotifier
from handlers.gate.walkin_texts import WalkinCb, call_header, outcome_line, who_is_there

log = logging.getLogger(__name__)


def ring_keyboard(call_id: int) -> InlineKeyboardMarkup:
    def cb(action: str) -> str:
        return WalkinCb(action=action, call_id=call_id).pack()

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("✅ Let in once"), callback_data=cb("in")),
                InlineKeyboardButton(text=_("✖️ Refuse"), callback_data=cb("no")),
            ],
            [
                InlineKeyboardButton(
                    text=_("🔕 Mute gate calls for an hour"), callback_data=cb("mute")
                )
            ],
        ]
    )


class ChatWalkinNotifier(ChatNotifier):
    """The gate's chat notifier, with the walk-in's ring and the guards' notes."""

    async def ring(self, ring: Ring) -> list[RingMessage]:
        if self.ctx.bot is None:
            return []
        photo = ring.photo
        sent: list[RingMessage] = []
        for person_id in ring.resident_ids:
            async with self.ctx.session_factory() as session:
                person = await person_by_id(session, person_id)
            if person is None or person.telegram_id is None:
                continue
            with self.ctx.i18n.use_locale(locale_of(self.ctx, person)):
                text = who_is_there(ring.call, ring.call.expires_in_s(self.ctx.clock.now()))
                markup = ring_keyboard(ring.call.id)
            if photo is None:
                call = self.ctx.bot.send_message(person.telegram_id, text, reply_markup=markup)
            else:
                media = BufferedInputFile(photo, "gate.jpg") if isinstance(photo, bytes) else photo
                call = self.ctx.bot.send_photo(
                    person.telegram_id, media, caption=text, reply_markup=markup
                )
            delivery = await deliver(call)
            if not delivery.ok or delivery.result is None:
                continue
            message = delivery.result
            sent.append(
                RingMessage(person.id, person.telegram_id, message.message_id, photo is not None)
            )
            if isinstance(photo, bytes) and message.photo:
                photo = message.photo[-1].file_id  # the next residents get the same file
        return sent

    async def call_closed(self, call: CallView, messages: list[RingMessage]) -> None:
        """Each resident's ringing message: who is there, then who decided; no buttons."""
        if self.ctx.bot is None:
            return
        for ringing in messages:
            async with self.ctx.session_factory() as session:
                person = await person_by_id(session, ringing.person_id)
            locale = locale_of(self.ctx, person)
            with self.ctx.i18n.use_locale(locale):
                text = call_header(call) + "\n\n" + outcome_line(call, locale)
            chat_id, message_id = ringing.chat_id, ringing.message_id
            edit: Awaitable[Any] = (
                self.ctx.bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=text, reply_markup=None
                )
                if ringing.photo
                else self.ctx.bot.edit_message_text(
                    chat_id=chat_id, message_id=message_id, text=text, reply_markup=None
                )
            )
            try:
                await edit
            except TelegramBadRequest as exc:  # gone, too old, or already so
                log.info("ringing message not closed", extra={"fields": {"error": str(exc)}})

    async def to_guards(self, call: CallView) -> None:
        locale = await self._group_locale(call.community_id)

        def build() -> str:
            who = escape(call.visitor_name) if call.visitor_name else _("A visitor")
            where = {"gate": escape(call.gate_name), "unit": escape(call.unit_label), "who": who}
            if call.status in (CallStatus.LET_IN.value, CallStatus.REFUSED.value):
                # A guard's walk-in, decided: the guard at the booth learns the answer.
                head = _("🔔 {gate}: {who} for {unit}").format(**where)
                return head + "\n" + outcome_line(call, locale)
            if call.status == CallStatus.NO_RESIDENTS.value:
                text = _("🔔 {gate}: {who} asked for {unit}, but nobody lives there in Courtyard.")
            elif call.status == CallStatus.NO_ANSWER.value and call.reached > 0:
                text = _("🔔 {gate}: {who} called {unit} at {time}; nobody answered in time.")
            else:
                text = _(
                    "🔔 {gate}: {who} called {unit}, but nobody in the household could be "
                    "reached in the chat."
                )
            time = fmt_time(call.created_at, call.timezone, locale)
            return (text + "\n" + _("Please help them at the gate.")).format(time=time, **where)

        await self._group(call.community_id, build)
