"""Payments: sendInvoice, createInvoiceLink, answerPreCheckoutQuery, refundStarPayment.

Invoices in Telegram Stars (currency "XTR") need no provider token and exactly
one price; other currencies need a provider token. The paying side lives in
`actions/payments.py` (pre_checkout_query -> answer -> successful_payment message).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.outgoing import deliver, outgoing, parse_markup
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.state import InvoiceData

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_OPTION_KEYS = (
    "max_tip_amount",
    "suggested_tip_amounts",
    "provider_data",
    "photo_url",
    "photo_size",
    "photo_width",
    "photo_height",
    "need_name",
    "need_phone_number",
    "need_email",
    "need_shipping_address",
    "send_phone_number_to_provider",
    "send_email_to_provider",
    "is_flexible",
    "subscription_period",
)


def parse_invoice(p: Params) -> InvoiceData:
    """Validate invoice parameters shared by sendInvoice and createInvoiceLink."""
    title = p.get_str("title", "") or ""
    description = p.get_str("description", "") or ""
    payload = p.get_str("payload", "") or ""
    currency = (p.get_str("currency", "") or "").upper()
    provider_token = p.get_str("provider_token", "") or ""
    prices = p.get_json("prices")
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_EMPTY" if not title else "INVOICE_TITLE_TOO_LONG")
    if not 1 <= len(description) <= 255:
        raise bad_request(
            "INVOICE_DESCRIPTION_EMPTY" if not description else "INVOICE_DESCRIPTION_TOO_LONG"
        )
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if not _CURRENCY.match(currency):
        raise bad_request("CURRENCY_INVALID")
    if not isinstance(prices, list) or not prices:
        raise bad_request("prices must be non-empty")
    clean_prices: list[dict[str, Any]] = []
    for price in prices:
        if not isinstance(price, dict) or "label" not in price or "amount" not in price:
            raise bad_request("can't parse prices JSON object")
        clean_prices.append({"label": str(price["label"]), "amount": int(price["amount"])})
    if currency == "XTR":
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        if len(clean_prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    invoice = InvoiceData(
        title=title,
        description=description,
        payload=payload,
        currency=currency,
        prices=clean_prices,
        provider_token=provider_token,
        start_parameter=p.get_str("start_parameter", "") or "",
        options={k: p.values[k] for k in _OPTION_KEYS if k in p.values},
    )
    if invoice.total_amount <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    return invoice


@bot_method("sendInvoice")
async def send_invoice(core: EmulatorCore, p: Params) -> dict[str, Any]:
    invoice = parse_invoice(p)
    markup = parse_markup(p, inline_only=p.has("reply_markup"))
    if markup is not None:
        first = markup["inline_keyboard"][0][0] if markup["inline_keyboard"][0] else {}
        if not first.get("pay"):
            # Telegram requires the first button of an invoice keyboard to be the pay one.
            raise bad_request("REPLY_MARKUP_BUY_EMPTY")
    out = outgoing(core, p)
    msg = deliver(core, out, invoice=invoice, reply_markup=markup)
    return core.publish_bot_message(msg)


@bot_method("createInvoiceLink")
async def create_invoice_link(core: EmulatorCore, p: Params) -> str:
    invoice = parse_invoice(p)
    slug = secrets.token_urlsafe(16)
    invoice.link_slug = slug
    core.world.invoice_links[slug] = invoice
    return "https://t.me/$" + slug


_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@bot_method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(core: EmulatorCore, p: Params) -> bool:
    query_id = p.require_str("pre_checkout_query_id", _QUERY_INVALID)
    record = core.world.pre_checkouts.get(query_id)
    if record is None or record.answered:
        raise bad_request(_QUERY_INVALID)
    ok = p.get_bool("ok")
    error_message = p.get_str("error_message")
    if not ok and not error_message:
        raise bad_request("ERROR_MESSAGE_EMPTY")
    record.answered, record.ok, record.error_message = True, ok, error_message
    core.resolve_answer(query_id, {"ok": ok, "error_message": error_message})
    core.events.emit(
        "pre_checkout_answered",
        record.chat_id,
        query_id=query_id,
        user_id=record.user_id,
        ok=ok,
        error_message=error_message,
    )
    return True


@bot_method("refundStarPayment")
async def refund_star_payment(core: EmulatorCore, p: Params) -> bool:
    charge_id = p.require_str("telegram_payment_charge_id", "CHARGE_ID_EMPTY")
    payment = core.world.payments.get(charge_id)
    if payment is None or payment.user_id != p.get_int("user_id"):
        raise bad_request("CHARGE_NOT_FOUND")
    if payment.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    payment.refunded = True
    core.events.emit(
        "payment_refunded",
        payment.chat_id,
        user_id=payment.user_id,
        telegram_payment_charge_id=charge_id,
        total_amount=payment.total_amount,
        currency=payment.currency,
    )
    return True
