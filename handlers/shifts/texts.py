"""Hand-over texts shared by the private steps, the card, the log and the jobs."""

from __future__ import annotations

from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from core.formatting import fmt_short_datetime
from core.shifts.models import Handover


class AckCb(CallbackData, prefix="ho"):
    handover_id: int


def ack_keyboard(handover_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("🤝 Acknowledge"), callback_data=AckCb(handover_id=handover_id).pack()
                )
            ]
        ]
    )


def handover_text(
    row: Handover, author: str, tz: str, locale: str, acknowledged_by: str | None = None
) -> str:
    none = _("none")
    lines = [
        _("🔁 <b>Hand-over</b> from {name}, {when}").format(
            name=escape(author), when=fmt_short_datetime(row.submitted_at, tz, locale)
        ),
        _("Open matters: {text}").format(text=escape(row.open_matters or none)),
        _("Keys: {text}").format(text=escape(row.keys or none)),
        _("Incidents: {text}").format(text=escape(row.incidents or none)),
        _("Patrol notes: {text}").format(text=escape(row.patrol_notes or none)),
    ]
    if acknowledged_by is not None and row.acknowledged_at is not None:
        lines.append(
            _("✅ Acknowledged by {name}, {when}").format(
                name=escape(acknowledged_by),
                when=fmt_short_datetime(row.acknowledged_at, tz, locale),
            )
        )
    return "\n".join(lines)
