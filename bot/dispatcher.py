"""Assembles the dispatcher: middlewares, and every router in one visible place."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage

from bot.context import AppContext
from bot.middlewares import (
    DbSessionMiddleware,
    IdentityMiddleware,
    LocaleMiddleware,
    LogContextMiddleware,
)


def include_routers(dp: Dispatcher) -> None:
    """Order matters: the first router whose filters match handles the update.

    ``common`` comes first so /cancel and /language work inside any flow; the
    fallback comes last and answers what nobody else took.
    """
    from handlers import common, errors

    dp.include_router(errors.router)
    dp.include_router(common.router)
    # Feature routers (one per area) go here, in this order.
    from handlers import tickets_resident, tickets_staff

    dp.include_router(tickets_resident.router)
    dp.include_router(tickets_staff.router)
    dp.include_router(common.fallback_router)


def create_dispatcher(app: AppContext, storage: BaseStorage) -> Dispatcher:
    dp = Dispatcher(storage=storage)
    dp["app"] = app
    dp["settings"] = app.settings
    dp["clock"] = app.clock
    dp.update.outer_middleware(LogContextMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(app.session_factory))
    dp.update.outer_middleware(IdentityMiddleware(app.settings.default_locale))
    LocaleMiddleware(app.i18n).setup(dp)
    include_routers(dp)
    return dp
