"""Paying an invoice the Telegram way: pre-checkout query, answer, successful payment."""

# Waits here take an explicit `timeout` like Telegram's getUpdates and the
# documented test API (expect(..., timeout=5)); asyncio.timeout() would hide it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.emulator.actions.base import ActionBase
from bot.emulator.errors import EmulatorError
from bot.emulator.events import wait_result
from bot.emulator.render import user_json
from bot.emulator.state import InvoiceData, Payment, PreCheckoutRecord, User


@dataclass
class PaymentOutcome:
    """Result of a user paying an invoice."""

    ok: bool
    status: Literal["paid", "declined", "timeout"]
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None
    message: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class PaymentActions(ActionBase):
    """A user pays an invoice message or an invoice link."""

    async def pay(
        self,
        chat_id: int,
        user_id: int,
        message_id: int | None = None,
        *,
        invoice: InvoiceData | None = None,
        timeout: float = 10.0,
    ) -> PaymentOutcome:
        """Pay an invoice message (or an invoice link's invoice) the Telegram way.

        Sends pre_checkout_query, waits up to `timeout` (Telegram: 10 s) for
        answerPreCheckoutQuery, and on ok posts a successful_payment message.
        """
        chat = self.core.chat(chat_id)
        user = self._sender(chat, user_id)
        thread_id = None
        if invoice is None:
            if message_id is None:
                raise EmulatorError("pay() needs an invoice message")
            msg = self._message(chat, message_id)
            if msg.invoice is None:
                raise EmulatorError(f"message {message_id} is not an invoice")
            invoice, thread_id = msg.invoice, msg.thread_id
        query_id = str(secrets.randbits(63))
        self.core.world.pre_checkouts[query_id] = PreCheckoutRecord(
            query_id, user.id, invoice, chat.id
        )
        payload: dict[str, Any] = {
            "id": query_id,
            "from": user_json(user),
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
        }
        order_info = self._order_info(user, invoice)
        if order_info:
            payload["order_info"] = order_info
        future = self.core.expect_answer(query_id)
        if self.core.updates.put("pre_checkout_query", payload) is None:
            self.core.answer_waiters.pop(query_id, None)
            raise EmulatorError("the bot does not receive pre_checkout_query updates")
        self.core.events.emit(
            "pre_checkout_query",
            chat.id,
            query_id=query_id,
            user_id=user.id,
            currency=invoice.currency,
            total_amount=invoice.total_amount,
            invoice_payload=invoice.payload,
        )
        try:
            answer = await wait_result(future, timeout)
        except TimeoutError:
            return PaymentOutcome(False, "timeout", "the bot did not answer the pre-checkout query")
        finally:
            self.core.answer_waiters.pop(query_id, None)
        if not answer["ok"]:
            return PaymentOutcome(False, "declined", answer.get("error_message"))
        charge_id = "stxemu" + secrets.token_hex(24)
        provider_charge = "" if invoice.currency == "XTR" else "emu_" + secrets.token_hex(12)
        successful: dict[str, Any] = {
            "currency": invoice.currency,
            "total_amount": invoice.total_amount,
            "invoice_payload": invoice.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": provider_charge,
        }
        if order_info:
            successful["order_info"] = order_info
        # Telegram's "payment sent" service message replies to the invoice it paid.
        paid_msg = chat.messages.get(message_id) if message_id is not None else None
        view = self._post(
            chat.id,
            user.id,
            thread_id=thread_id,
            reply_to=message_id if paid_msg is not None and not paid_msg.deleted else None,
            is_service=True,
            successful_payment=successful,
        )
        self.core.world.payments[charge_id] = Payment(
            user.id,
            chat.id,
            invoice.currency,
            invoice.total_amount,
            invoice.payload,
            charge_id,
            provider_charge,
        )
        self.core.events.emit("payment", chat.id, user_id=user.id, **successful)
        return PaymentOutcome(True, "paid", None, charge_id, view)

    async def pay_link(self, user_id: int, link: str, *, timeout: float = 10.0) -> PaymentOutcome:
        """Pay an invoice link from createInvoiceLink inside the user's bot chat."""
        slug = link.rsplit("$", 1)[-1]
        invoice = self.core.world.invoice_links.get(slug)
        if invoice is None:
            raise EmulatorError(f"unknown invoice link {link!r}")
        return await self.pay(user_id, user_id, invoice=invoice, timeout=timeout)

    @staticmethod
    def _order_info(user: User, invoice: InvoiceData) -> dict[str, Any]:
        info: dict[str, Any] = {}
        if invoice.options.get("need_name") in (True, "true"):
            info["name"] = user.full_name
        if invoice.options.get("need_phone_number") in (True, "true"):
            info["phone_number"] = user.phone_number or "+10000000000"
        if invoice.options.get("need_email") in (True, "true"):
            info["email"] = f"user{user.id}@example.com"
        return info
