"""The last line of defence: log the failure with its update, apologise to the user.

No traceback or internal detail ever reaches a chat.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.context import AppContext
from bot.middlewares.locale import person_locale
from core.db import is_database_failure
from core.formatting import fmt_money
from core.identity import Identity, IdentityCache
from handlers.fees.spool import is_fee_payment, spool_failed_payment
from handlers.kit import StaleButton, answer_stale

router = Router(name="errors")
log = logging.getLogger("courtyard.errors")


@router.errors()
async def on_error(
    event: ErrorEvent,
    bot: Bot,
    i18n: I18n,
    app: AppContext,
    identity: Identity | None = None,
    identity_cache: IdentityCache | None = None,
    locale: str | None = None,
) -> bool:
    update = event.update
    exc = event.exception
    if isinstance(exc, StaleButton) and update.callback_query is not None:
        # Forged or garbled button data (handlers.kit.buttons): nothing was done.
        log.info("stale button", extra={"fields": {"update_id": update.update_id}})
        query = update.callback_query
        with i18n.use_locale(
            locale or person_locale(identity, query.from_user, i18n.default_locale)
        ):
            await answer_stale(query)
        return True
    log.error(
        "update failed",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"fields": {"update_id": update.update_id, "error": type(exc).__name__}},
    )
    user = None
    chat_id = None
    thread_id = None
    if update.message is not None:
        user = update.message.from_user
        chat_id = update.message.chat.id
        thread_id = update.message.message_thread_id if update.message.is_topic_message else None
    elif update.callback_query is not None:
        user = update.callback_query.from_user
    elif update.pre_checkout_query is not None:
        user = update.pre_checkout_query.from_user
    # The language the person chose. ``identity`` is here when the failure came after
    # the identity middleware (it shares this update's data); before it (the
    # database failed), what this process last knew of them, without a database call.
    if identity is None and user is not None and identity_cache is not None:
        identity = identity_cache.peek(user.id)
    locale = person_locale(identity, user, i18n.default_locale)
    paid = None
    spooled = False
    if update.message is not None and is_fee_payment(update.message):
        paid = update.message.successful_payment
        # Money has moved and Telegram will not report it again: keep it (fees spool).
        spooled = await spool_failed_payment(app, update.message, locale)
    with i18n.use_locale(locale):
        if paid is not None and spooled:
            text = _(
                "We received your payment of {amount}. We could not record it just "
                "now; it is saved and will be recorded within a few minutes, and your "
                "receipt will follow. You do not need to pay again."
            ).format(amount=fmt_money(paid.total_amount, paid.currency, locale))
        elif paid is not None:
            text = _(
                "We received your payment but could not record it. Please show this "
                "message to the property office: {charge}"
            ).format(charge=paid.telegram_payment_charge_id)
        elif is_database_failure(exc):
            text = _(
                "Sorry, I could not save that just now. Nothing was changed — "
                "please try again in a minute."
            )
        elif chat_id is not None and chat_id < 0:  # a group: no conversation to /cancel
            text = _("Sorry, something went wrong on our side. Nothing was changed.")
        else:
            text = _(
                "Sorry, something went wrong on our side. Nothing was changed — "
                "please try again, or send /cancel to start over."
            )
        try:
            if update.callback_query is not None:
                await bot.answer_callback_query(update.callback_query.id, text, show_alert=True)
            elif update.pre_checkout_query is not None:
                await bot.answer_pre_checkout_query(
                    update.pre_checkout_query.id, ok=False, error_message=text
                )
            elif chat_id is not None:
                await bot.send_message(chat_id, text, message_thread_id=thread_id)
        except TelegramAPIError:
            log.warning(
                "could not send the apology", extra={"fields": {"update_id": update.update_id}}
            )
    return True
