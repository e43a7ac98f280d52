"""Telegram's webhook: handle the update, then acknowledge it.

A request is answered 200 only when its update has been handled and its
transaction committed (aiogram's default answers at once and handles in the
background: a process that died then had acknowledged updates it never handled,
and Telegram sent a chat's next update before the previous one was done). If
handling fails in a way the error handler did not take, the answer is 500 and
Telegram delivers the update again; the ledger (bot.ledger) makes a delivery of an
update already handled a no-op.

Stopping (SIGTERM): :meth:`WebhookHandler.drain` stops taking updates — new
requests get 503, which Telegram retries (on another replica behind a balancer, or
on this one once restarted), and ``/health`` says 503 too — then waits for the
updates in flight. See docs/decisions/0019-delivery-guarantee.md.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError

from bot.metrics import bot_depths, bot_readiness
from bot.ordering import ChatTurns
from core.probes import add_probe_routes

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler for one bot, answering after the update is handled.

    It still compares X-Telegram-Bot-Api-Secret-Token with our secret and answers
    401 before the update reaches any handler.
    """

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str | None) -> None:
        super().__init__(
            dispatcher=dispatcher, bot=bot, handle_in_background=False, secret_token=secret_token
        )
        self.accepting = True
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        if not self.accepting:
            return web.Response(text="stopping", status=503, headers={"Retry-After": "1"})
        self.in_flight += 1
        self._idle.clear()
        try:
            try:
                raw = await request.json(loads=bot.session.json_loads)
                update = Update.model_validate(raw, context={"bot": bot})
            except (ValueError, ValidationError):
                return web.Response(text="not an update", status=400)
            try:
                result = await self.dispatcher.feed_update(bot, update, **self.data)
            except Exception:
                log.exception(
                    "update failed; Telegram will deliver it again",
                    extra={"fields": {"update_id": update.update_id}},
                )
                return web.Response(text="failed", status=500)
            reply = result if isinstance(result, TelegramMethod) else None
            return web.Response(body=self._build_response_writer(bot=bot, result=reply))
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    async def drain(self) -> None:
        """Take no new update and wait until those in flight are handled."""
        self.accepting = False
        if self.in_flight:
            log.info("stopping: finishing updates", extra={"fields": {"in_flight": self.in_flight}})
        await self._idle.wait()

    async def health(self, _request: web.Request) -> web.Response:
        if not self.accepting:
            return web.json_response({"status": "stopping"}, status=503)
        return web.json_response({"status": "ok"})


WEBHOOK_KEY = web.AppKey("webhook", WebhookHandler)


def build_webhook_app(app: Application) -> web.Application:
    """The aiohttp app serving Telegram's webhook (its handler: ``web_app[WEBHOOK_KEY]``)."""
    settings = app.ctx.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    turns = getattr(getattr(app.dp, "fsm", None), "events_isolation", None)
    if isinstance(turns, ChatTurns):
        # Updates posted together may arrive out of order: wait briefly for earlier ids.
        turns.grace = settings.webhook_order_grace_s
    web_app = web.Application()
    handler = WebhookHandler(app.dp, app.bot, secret)
    handler.register(web_app, path=settings.webhook_path)
    web_app[WEBHOOK_KEY] = handler
    setup_application(web_app, app.dp, bot=app.bot)
    web_app.router.add_get("/health", handler.health)
    # /livez, /readyz (unready while stopping, or without database, schema or Redis)
    # and /metrics: decision 0022.
    readiness = bot_readiness(app.ctx, stopping=lambda: not handler.accepting)
    add_probe_routes(web_app, readiness, depths=bot_depths(app.ctx))
    return web_app
