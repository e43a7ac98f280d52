"""Building and running the application: polling, webhook, and the pieces they share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiohttp import web

from bot.assembly import attach_features, background_services, register_jobs
from bot.commands import publish_commands
from bot.context import AppContext, ServiceFactory
from bot.dispatcher import create_dispatcher
from bot.i18n import create_i18n
from bot.ledger import PRUNE_EVERY_S, prune_job
from bot.long_text import LongTextSplitter
from bot.metrics import probe_server
from bot.sender import OutgoingLimiter
from bot.services import build_gate
from bot.settings import Settings
from bot.shared_limits import send_limits
from bot.storage import check_storage, create_storage
from bot.webhook import WEBHOOK_KEY, build_webhook_app
from core.clock import Clock, SystemClock
from core.db import create_engine, create_session_factory
from core.heap import freeze_startup_heap
from core.leader import leader_for
from core.migrate import upgrade_database_async
from core.scheduler import Scheduler

log = logging.getLogger("courtyard")


@dataclass
class Application:
    ctx: AppContext
    bot: Bot
    dp: Dispatcher
    storage: BaseStorage
    services: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        for task in self.services:
            task.cancel()
        for task in self.services:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.ctx.scheduler is not None:
            await self.ctx.scheduler.aclose()
        await _close_extras(self.ctx)
        with contextlib.suppress(Exception):
            await self.ctx.gate.close()
        await self.storage.close()
        await self.bot.session.close()
        await self.ctx.engine.dispose()


async def _close_extras(ctx: AppContext) -> None:
    """Long-lived helpers areas keep in ctx.extras (the gate runtime …) close here."""
    for extra in list(ctx.extras.values()):
        closer = getattr(extra, "close", None)
        if closer is not None and asyncio.iscoroutinefunction(closer):
            with contextlib.suppress(Exception):
                await closer()


def create_bot(settings: Settings, ctx: AppContext, token: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api.rstrip("/")))
    limits = send_limits(settings)  # in Redis when several processes share the limits
    ctx.extras["send_limits"] = limits  # closed with the application
    session.middleware(LongTextSplitter())  # outermost: each part is limited on its own
    session.middleware(OutgoingLimiter(ctx.session_factory, limits))
    return Bot(
        token=token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def _is_gate_api(factory: ServiceFactory) -> bool:
    """The gate terminal API among the services (`courtyard run --no-gate-api` leaves it
    to `courtyard gate-api` processes)."""
    return getattr(factory, "__name__", "") == "gate_api_service"


@dataclass(frozen=True)
class Roles:
    """What one process does besides handling updates (`courtyard run --no-…`)."""

    migrate: bool = True
    scheduler: bool = True
    gate_api: bool = True

    def options(self) -> dict[str, bool]:
        return {
            "migrate": self.migrate,
            "start_scheduler": self.scheduler,
            "gate_api": self.gate_api,
        }


async def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    start_scheduler: bool = True,
    start_services: bool = True,
    gate_api: bool = True,
) -> Application:
    """Everything ``run`` needs, started. Telegram is asked who the bot is, and a Redis
    conversation store must answer, before the database is migrated (a wrong token or
    an unreachable Bot API or Redis changes nothing);
    if any step fails, what the earlier steps opened is closed before the error
    goes on (no session, engine or task is left behind)."""
    token = settings.require_bot_token()
    settings.secret()  # generate and persist on first run, before anything needs it
    opened = contextlib.AsyncExitStack()
    try:
        engine = create_engine(settings.database_url)
        opened.push_async_callback(engine.dispose)
        session_factory = create_session_factory(engine)
        i18n = create_i18n(settings.default_locale)
        # Make it the current I18n for everything started from here on, including the
        # scheduler's jobs (they run outside any update and translate messages too).
        i18n.set_current(i18n)
        ctx = AppContext(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            i18n=i18n,
            clock=clock or SystemClock(),
        )
        bot = create_bot(settings, ctx, token)
        opened.push_async_callback(bot.session.close)
        ctx.bot = bot
        me = await bot.get_me()
        ctx.bot_username = me.username or ctx.bot_username
        storage = create_storage(settings, session_factory)
        opened.push_async_callback(storage.close)
        await check_storage(storage)  # before migrating, like Telegram above
        if migrate:
            applied = await upgrade_database_async(settings.database_url)
            if applied:
                log.info("database migrated", extra={"fields": {"applied": applied}})
        build_gate(ctx)
        opened.push_async_callback(ctx.gate.close)
        attach_features(ctx)
        ctx.faces.start()
        dp = create_dispatcher(ctx, storage)
        # With several processes on PostgreSQL only the elected leader runs the jobs.
        scheduler = Scheduler(timezone="UTC", leader=leader_for(settings.database_url))
        ctx.scheduler = scheduler
        opened.push_async_callback(_close_extras, ctx)
        register_jobs(ctx, scheduler)
        # The bot's own: forget handled update ids once Telegram cannot send them again.
        scheduler.add_periodic("updates.prune", lambda: prune_job(ctx), PRUNE_EVERY_S)
        await publish_commands(bot, i18n, settings.default_locale)
        if start_scheduler:
            scheduler.start()
            opened.push_async_callback(scheduler.aclose)
        application = Application(ctx=ctx, bot=bot, dp=dp, storage=storage)
        if start_services:
            for factory in background_services(ctx):
                if gate_api or not _is_gate_api(factory):
                    application.services.append(asyncio.create_task(factory(ctx)))
    except BaseException:
        with contextlib.suppress(Exception):
            await opened.aclose()
        raise
    return application


@contextlib.asynccontextmanager
async def running_application(settings: Settings, **kwargs: object) -> AsyncIterator[Application]:
    app = await build_application(settings, **kwargs)  # type: ignore[arg-type]
    try:
        yield app
    finally:
        await app.close()


def _i18n_context(app: Application) -> contextlib.AbstractContextManager[object]:
    return app.ctx.i18n.context()


async def run_polling(
    settings: Settings, stop: asyncio.Event | None = None, roles: Roles | None = None
) -> None:
    async with (
        running_application(settings, **(roles or Roles()).options()) as app,
        probe_server(app.ctx),
    ):
        freeze_startup_heap()
        with _i18n_context(app):
            await app.bot.delete_webhook(drop_pending_updates=False)
            log.info("polling started", extra={"fields": {"bot": app.ctx.bot_username}})
            polling = asyncio.create_task(
                app.dp.start_polling(app.bot, handle_signals=False, close_bot_session=False)
            )
            waiter = asyncio.create_task((stop or _signal_event()).wait())
            done, _ = await asyncio.wait({polling, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                await app.dp.stop_polling()
            await polling


async def run_webhook(
    settings: Settings, stop: asyncio.Event | None = None, roles: Roles | None = None
) -> None:
    from bot.settings import SettingsError

    url, secret = settings.require_webhook()  # `courtyard run` checked it before anything
    async with running_application(settings, **(roles or Roles()).options()) as app:
        freeze_startup_heap()
        with _i18n_context(app):
            web_app = build_webhook_app(app)
            runner = web.AppRunner(web_app)
            await runner.setup()
            try:
                site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
                try:
                    await site.start()
                except OSError as exc:
                    raise SettingsError(
                        f"COURTYARD_WEBHOOK_HOST/PORT: cannot listen on {settings.webhook_host}:"
                        f"{settings.webhook_port} ({exc.strerror or exc}); choose a free port "
                        "(COURTYARD_WEBHOOK_PORT) or another address (COURTYARD_WEBHOOK_HOST)."
                    ) from None
                await app.bot.set_webhook(
                    url.rstrip("/") + settings.webhook_path,
                    secret_token=secret,
                    allowed_updates=app.dp.resolve_used_update_types(),
                )
                log.info(
                    "webhook listening",
                    extra={
                        "fields": {"host": settings.webhook_host, "port": settings.webhook_port}
                    },
                )
                await (stop or _signal_event()).wait()
                # 503 for new updates (Telegram delivers them again), finish the rest.
                await web_app[WEBHOOK_KEY].drain()
            finally:
                await runner.cleanup()


async def run_scheduler(
    settings: Settings, stop: asyncio.Event | None = None, *, migrate: bool = True
) -> None:
    """`courtyard scheduler`: the periodic jobs alone (no updates, no gate API). With
    several such processes on PostgreSQL one leads and the others stand by."""
    roles = Roles(migrate=migrate, scheduler=True, gate_api=False)
    async with (
        running_application(settings, start_services=False, **roles.options()) as app,
        probe_server(app.ctx),
    ):
        freeze_startup_heap()
        with _i18n_context(app):
            jobs = len(app.ctx.scheduler.jobs) if app.ctx.scheduler is not None else 0
            log.info("scheduler started", extra={"fields": {"jobs": jobs}})
            await (stop or _signal_event()).wait()


def _signal_event() -> asyncio.Event:
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, event.set)
    return event


async def run_job_once(settings: Settings, name: str) -> bool:
    """`courtyard run-job NAME`: one periodic job, once, now; False if there is none.
    A failure goes on as an exception (the exit code says it)."""
    async with running_application(
        settings, migrate=False, start_scheduler=False, start_services=False, gate_api=False
    ) as app:
        scheduler = app.ctx.scheduler
        if scheduler is None or name not in scheduler.jobs:
            return False
        with _i18n_context(app):
            await scheduler.jobs[name].func()
            log.info("job run once", extra={"fields": {"job": name}})
    return True
