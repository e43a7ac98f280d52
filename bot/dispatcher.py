"""Assembles the dispatcher: middlewares, and every router in one visible place."""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.context import AppContext
from bot.middlewares import (
    DbSessionMiddleware,
    IdentityMiddleware,
    LocaleMiddleware,
    LogContextMiddleware,
)


class CourtyardDispatcher(Dispatcher):
    """A dispatcher that takes over module-level routers from a previous one.

    Routers are module globals (one per conversation area); a process that builds a
    second application (a restart in tests, the sandbox resetting) must be able to
    include them again. Only one dispatcher per process is live at a time.
    """

    def include_router(self, router: Router) -> Router:
        parent = router.parent_router
        if parent is not None and parent is not self:
            parent.sub_routers.remove(router)
            router._parent_router = None
        return super().include_router(router)


def include_routers(dp: Dispatcher) -> None:
    """Order matters: the first router whose filters match handles the update.

    ``common`` comes first so /cancel and /language work inside any flow; the
    fallback comes last and answers what nobody else took.
    """
    from handlers import common, errors

    dp.include_router(errors.router)
    dp.include_router(common.router)
    from handlers.fees_resident import payments_router

    dp.include_router(payments_router)  # before any flow's catch-all (see its docstring)
    from handlers import admin_setup, movein, profile, review

    dp.include_routers(admin_setup.router, review.router, movein.router, profile.router)
    # Feature routers (one per area) go here, in this order.
    from handlers import tickets_resident, tickets_staff

    dp.include_router(tickets_resident.router)
    dp.include_router(tickets_staff.router)
    from handlers import fees_resident, fees_staff

    dp.include_routers(fees_resident.router, fees_staff.router)
    from handlers import gate_staff, passes

    dp.include_routers(passes.router, gate_staff.router)
    from handlers import faces

    dp.include_routers(faces.router, faces.staff_router)
    dp.include_router(common.fallback_router)


def _isolation(app: AppContext, storage: BaseStorage) -> BaseEventIsolation:
    if app.settings.fsm_storage == "redis":
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        if isinstance(storage, RedisStorage):
            return RedisEventIsolation(redis=storage.redis)
    return SimpleEventIsolation()


def create_dispatcher(app: AppContext, storage: BaseStorage) -> Dispatcher:
    # One update at a time per chat and user: the next answer in a conversation is
    # processed only after the previous step's state has been committed.
    dp = CourtyardDispatcher(storage=storage, events_isolation=_isolation(app, storage))
    dp["app"] = app
    dp["settings"] = app.settings
    dp["clock"] = app.clock
    dp.update.outer_middleware(LogContextMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(app.session_factory))
    dp.update.outer_middleware(IdentityMiddleware(app.settings.default_locale))
    LocaleMiddleware(app.i18n).setup(dp)
    include_routers(dp)
    return dp
