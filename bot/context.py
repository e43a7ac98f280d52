"""The application context handed to every handler (as ``app``) and job.

It holds what services need — settings, the session factory, the clock, the bot
— so handlers never reach for globals.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.i18n import CatalogI18n
from bot.settings import Settings
from core.clock import Clock
from core.fees.runtime import FeesRuntime

if TYPE_CHECKING:
    from aiogram import Bot

    from access.faces.service import FaceService
    from access.service import AccessRuntime
    from core.scheduler import Scheduler


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    i18n: CatalogI18n
    clock: Clock
    bot: Bot | None = None
    bot_username: str = "courtyard_bot"
    scheduler: Scheduler | None = None
    # The fees area's per-process helpers (deliveries in flight, rendered statements).
    fees: FeesRuntime = field(default_factory=FeesRuntime)
    # The gate runtime and its face service, built once at start-up
    # (bot.services.build_gate); a context made without them has neither.
    gate: AccessRuntime = field(init=False, repr=False)
    faces: FaceService = field(init=False, repr=False)
    # Long-lived per-process helpers keyed by area (move-in's photo albums). Never
    # domain state: that lives in the database.
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def secret_key(self) -> str:
        return self.settings.secret()

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"


# A long-running service started with the bot (the gate API, the sandbox page):
# called with the context, it returns a coroutine run alongside the bot and
# cancelled with it.
ServiceFactory = Callable[[AppContext], Coroutine[Any, Any, None]]
