"""Telegram invoices for fees, shared by "My bills" and the reminders.

An invoice draft (core.fees.payments.create_invoice) becomes one ``sendInvoice``
with a price line per bill and a Pay button; paying in chat is on only when a
payments provider token is configured.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from core.fees.payments import InvoiceDraft
from core.formatting import fmt_money
from core.models import Community

# Telegram's limits on an invoice's title, price labels and description.
TITLE_MAX = 32
PRICE_LABEL_MAX = 64
DESCRIPTION_MAX = 255


def provider_token(ctx: AppContext) -> str | None:
    """The payments provider token from settings (None when paying in chat is off)."""
    token = ctx.settings.payments_provider_token
    if token is None:
        return None
    value = token.get_secret_value() if hasattr(token, "get_secret_value") else str(token)
    return value.strip() or None


def payments_enabled(ctx: AppContext) -> bool:
    return provider_token(ctx) is not None


def invoice_title(label: str) -> str:
    return _("Fees · {unit}").format(unit=label)[:TITLE_MAX]


def reminder_title(label: str) -> str:
    return _("Fee reminder · {unit}").format(unit=label)[:TITLE_MAX]


def my_bills_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("My bills"), callback_data="menu:fees")


async def send_fee_invoice(
    ctx: AppContext,
    chat_id: int,
    draft: InvoiceDraft,
    *,
    community: Community,
    label: str,
    description: str,
    title: str | None = None,
) -> Any:
    """``sendInvoice`` for an invoice draft, one price line per bill (in the current locale)."""
    assert ctx.bot is not None
    token = provider_token(ctx)
    assert token is not None
    prices = [
        LabeledPrice(
            label=_("Fees {period}").format(period=b.period)[:PRICE_LABEL_MAX],
            amount=b.outstanding_minor,
        )
        for b in draft.bills
    ]
    locale = ctx.i18n.current_locale or ctx.settings.default_locale
    total = fmt_money(draft.invoice.amount_minor, community.currency, locale)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Pay {amount}").format(amount=total), pay=True)],
            [my_bills_button()],
        ]
    )
    return await ctx.bot.send_invoice(
        chat_id=chat_id,
        title=title or invoice_title(label),
        description=description[:DESCRIPTION_MAX],
        payload=draft.payload,
        provider_token=token,
        currency=draft.invoice.currency,
        prices=prices,
        start_parameter="fees",
        reply_markup=keyboard,
    )
