"""Assembles the dispatcher: middlewares, and every router in one visible place."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.types import TelegramObject, Update

from bot.assembly import include_routers
from bot.context import AppContext
from bot.ledger import UpdateLedger
from bot.middlewares import (
    DbSessionMiddleware,
    IdentityMiddleware,
    LocaleMiddleware,
    LogContextMiddleware,
)
from bot.middlewares.metrics import UpdateMetricsMiddleware
from bot.ordering import ChatTurns, LocalTurns
from bot.polling import confirmed_polling
from bot.routing import accelerate, propagate
from core.identity import IdentityCache


class DeferredStateMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware, minus reading the state before the session exists,
    plus a bound on how many updates are worked on at once.

    It takes the conversation's turn (one update at a time per chat and user, in
    update id order: bot.ordering) and holds it until the update's transaction has
    committed; the state itself is read
    by :class:`~bot.middlewares.DbSessionMiddleware`, inside that transaction, so
    the read is the same one the handler's filters and the storage's cache use.

    Past the chat lock, an update takes one of ``concurrency`` slots (first come,
    first served). Without the bound a burst of a few hundred updates is a few
    hundred tasks sharing the event loop: each advances a step per loop cycle, so
    all of them finish late, and a transaction holding SQLite's single write lock
    holds it for whole cycles. Updates waiting for their chat's lock hold no slot.
    """

    def __init__(self, *args: Any, concurrency: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = asyncio.Semaphore(concurrency)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context = self.resolve_event_context(cast(Bot, data["bot"]), data)
        data["fsm_storage"] = self.storage
        turns = self.events_isolation
        update_id = event.update_id if isinstance(event, Update) else None
        if context is None:
            if isinstance(turns, ChatTurns) and update_id is not None:
                await turns.arrived(update_id)
            async with self.slots:
                return await handler(event, data)
        if isinstance(turns, ChatTurns) and update_id is not None:
            isolation = turns.turn(context.key, update_id)
        else:
            isolation = turns.lock(key=context.key)
        async with isolation as seen_before, self.slots:
            data["state"] = context
            data["update_seen_before"] = seen_before  # for the ledger (bot.ledger)
            return await handler(event, data)


class CourtyardDispatcher(Dispatcher):
    """A dispatcher that takes over module-level routers from a previous one.

    Routers are module globals (one per conversation area); a process that builds a
    second application (a restart in tests, the sandbox resetting) must be able to
    include them again. Only one dispatcher per process is live at a time.
    """

    def __init__(self, *, concurrency: int = 24, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.update.outer_middleware[-1] is self.fsm:
            # Same lock and storage; the state is read later, inside the update's
            # database transaction (see DeferredStateMiddleware).
            self.update.outer_middleware.unregister(self.fsm)
            self.fsm = DeferredStateMiddleware(
                storage=self.fsm.storage,
                events_isolation=self.fsm.events_isolation,
                strategy=self.fsm.strategy,
                concurrency=concurrency,
            )
            self.update.outer_middleware(self.fsm)

    in_flight = 0  # updates being handled right now (tests wait for 0: "the bot is idle")

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self.in_flight += 1
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            self.in_flight -= 1

    async def _polling(self, bot: Bot, **kwargs: Any) -> None:  # type: ignore[override]
        # Confirm an update to Telegram only once handled (bot.polling); aiogram 3.31's
        # start_polling calls this for each bot.
        await confirmed_polling(self, bot, **kwargs)

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        return await propagate(self, update_type, event, kwargs)

    def include_router(self, router: Router) -> Router:
        parent = router.parent_router
        if parent is not None and parent is not self:
            parent.sub_routers.remove(router)
            router._parent_router = None
        included = super().include_router(router)
        accelerate(router)
        return included


def _isolation(app: AppContext, storage: BaseStorage) -> BaseEventIsolation:
    """The conversations' turns: in Redis for every replica, or in this process."""
    if app.settings.fsm_storage == "redis":
        from aiogram.fsm.storage.redis import RedisStorage

        from bot.ordering_redis import RedisTurns

        if isinstance(storage, RedisStorage):
            return RedisTurns(storage.redis)
    return LocalTurns()


def create_dispatcher(app: AppContext, storage: BaseStorage) -> Dispatcher:
    # One update at a time per chat and user: the next answer in a conversation is
    # processed only after the previous step's state has been committed.
    dp = CourtyardDispatcher(
        storage=storage,
        events_isolation=_isolation(app, storage),
        concurrency=app.settings.concurrent_updates,
    )
    dp["app"] = app
    dp["settings"] = app.settings
    dp["clock"] = app.clock
    dp.update.outer_middleware(UpdateMetricsMiddleware())  # counts and times each update
    dp.update.outer_middleware(LogContextMiddleware())
    # Each update handled once (bot.ledger); with Redis, several processes take them.
    ledger = UpdateLedger(app.engine, replicas=app.settings.fsm_storage == "redis")
    dp.update.outer_middleware(DbSessionMiddleware(app.session_factory, ledger))
    # Shared with the error handler: it speaks the person's language even when the
    # failure came before their identity was loaded (handlers.errors).
    identity_cache = IdentityCache()
    dp["identity_cache"] = identity_cache
    dp.update.outer_middleware(IdentityMiddleware(app.settings.default_locale, identity_cache))
    LocaleMiddleware(app.i18n).setup(dp)
    # Every area's routers (bot.assembly); CourtyardDispatcher.include_router
    # accelerates each one.
    include_routers(dp)
    return dp
