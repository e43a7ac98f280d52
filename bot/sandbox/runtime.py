"""The sandbox process: emulator, bot, gate API and page, started and stopped together.

:class:`Sandbox` is what ``courtyard sandbox`` runs and what the tests start
in-process (on port 0). The order matters:

1. the database in the data directory is migrated and the demo community
   seeded (:mod:`bot.sandbox.seed`);
2. the emulator gets back the Telegram it had last time (:mod:`.snapshot`),
   the cast is (re)created in it, and it starts listening — serving the Bot
   API, its ``/_emulator`` user side and, on the same port, the page;
3. the real application is built with its Bot API pointed at the emulator, a
   token of the form ``123456789:SANDBOX``, the scheduler and the background
   services (the gate terminal API) running, and polls the emulator.

Time can be moved forward from the page (to see deadlines pass): every
service reads the time from one :class:`SandboxClock`, whose offset is kept in
``sandbox.json`` so a restart does not send time backwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.app import Application, build_application
from bot.emulator import Emulator
from bot.emulator.state import set_clock_offset
from bot.sandbox import snapshot
from bot.sandbox.blueprint import Language
from bot.sandbox.seed import ensure_demo, populate_emulator
from bot.sandbox.state import STATE_FILE, SandboxState, save_state
from bot.settings import Settings
from core.db import create_engine, create_session_factory
from core.delivery import last_handled
from core.migrate import upgrade_database_async

log = logging.getLogger(__name__)

# Not secrets: the emulator accepts any well-formed token and any payment.
BOT_TOKEN = "123456789:SANDBOX"  # noqa: S105
BOT_USERNAME = "courtyard_sandbox_bot"
BOT_NAME = "Courtyard"
PROVIDER_TOKEN = "284685063:TEST:courtyard-sandbox"  # noqa: S105
DEFAULT_DATA_DIR = Path("var/sandbox")


class SandboxClock:
    """The system clock plus an offset the page can move forward; the emulated
    Telegram's clock (the dates of its messages) moves with it."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    @offset.setter
    def offset(self, value: timedelta) -> None:
        self._offset = value
        set_clock_offset(int(value.total_seconds()))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class SandboxOptions:
    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    port: int = 8000
    # The demo community's language, used when it is first seeded.
    language: Language = "zh_Hans"
    # Tests run the jobs by hand; the command line lets them run on their own.
    start_scheduler: bool = True
    snapshot_interval_s: float = 5.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for the gate API inside the sandbox)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def reset_data(data_dir: Path) -> None:
    """Forget the demo: database, keys, Telegram snapshot (``--reset``)."""
    if data_dir.is_dir():
        shutil.rmtree(data_dir)


class Sandbox:
    """One sandbox: call :meth:`start`, use :attr:`url`, then :meth:`stop`."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.data_dir = self.options.data_dir.resolve()
        self.clock = SandboxClock()
        # A new id per run: a page left open reloads when the sandbox restarted.
        self.boot_id = secrets.token_hex(8)
        self.emulator = Emulator(
            bot_username=BOT_USERNAME, bot_name=BOT_NAME, token=BOT_TOKEN, privacy_mode=True
        )
        self.state: SandboxState | None = None
        self.settings: Settings | None = None
        self.application: Application | None = None
        self.url = ""
        self._polling: asyncio.Task[None] | None = None
        self._saver: asyncio.Task[None] | None = None
        self._saved_seq = -1

    # --- paths ----------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.data_dir / STATE_FILE

    @property
    def snapshot_path(self) -> Path:
        return self.data_dir / snapshot.SNAPSHOT_FILE

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> str:
        from bot.sandbox.server import SandboxWeb

        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = self._settings()
        await upgrade_database_async(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            self.state = await ensure_demo(
                create_session_factory(engine),
                secret_key=settings.secret(),
                clock=self.clock,
                language=self.options.language,
                state_path=self.state_path,
            )
            # The emulator numbers updates from 1 again; the bot skips ids it has
            # handled (bot.ledger), so go on after the last one, as Telegram would.
            async with create_session_factory(engine)() as session:
                last_update = await last_handled(session)
        finally:
            await engine.dispose()
        if last_update is not None:
            self.emulator.core.updates.continue_after(last_update)
        self.clock.offset = timedelta(seconds=self.state.clock_offset_s)

        # A new database means a new demo: yesterday's Telegram would not match it.
        if not self.state.fresh:
            snapshot.restore(self.emulator, self.snapshot_path)
        populate_emulator(self.emulator, self.state)
        SandboxWeb(self).setup(self.emulator.app)
        await self.emulator.start(self.options.host, self.options.port)
        port = int(self.emulator.base_url.rsplit(":", 1)[1])
        self.url = f"http://{_display_host(self.options.host)}:{port}/"

        self.settings = settings.model_copy(update={"telegram_api": f"http://127.0.0.1:{port}"})
        try:
            self.application = await build_application(
                self.settings,
                clock=self.clock,
                migrate=False,
                start_scheduler=False,
                start_services=True,
            )
        except BaseException:
            await self.emulator.stop()
            raise
        app = self.application
        # Jobs and polling run inside the translations' context: the scheduler's
        # timers keep the context they were started in, and jobs speak to people.
        with app.ctx.i18n.context():
            if self.options.start_scheduler and app.ctx.scheduler is not None:
                app.ctx.scheduler.start()
            self._polling = asyncio.create_task(
                app.dp.start_polling(
                    app.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
                ),
                name="sandbox-polling",
            )
        self._saver = asyncio.create_task(self._keep_saving(), name="sandbox-snapshot")
        return self.url

    async def stop(self) -> None:
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        app = self.application
        if app is not None:
            with contextlib.suppress(RuntimeError):
                await app.dp.stop_polling()
            # Release the bot's pending long poll now instead of at its timeout.
            self.emulator.core.updates.shutdown()
            if self._polling is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(self._polling, 5)
            await app.close()
            self.application = None
        self._save_snapshot()
        await self.emulator.stop()
        set_clock_offset(0)  # the process's emulated clock is the system's again

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- time ---------------------------------------------------------------------------

    async def advance_clock(self, delta: timedelta) -> datetime:
        """Move the sandbox's time forward and let every periodic job look at it."""
        if delta <= timedelta(0):
            raise ValueError("time only moves forward")
        self.clock.offset += delta
        if self.state is not None:
            self.state.clock_offset_s = int(self.clock.offset.total_seconds())
            save_state(self.state_path, self.state)
        app = self.application
        if app is not None and app.ctx.scheduler is not None:
            with app.ctx.i18n.context():
                await app.ctx.scheduler.run_all_once()
        return self.clock.now()

    # --- internals ------------------------------------------------------------------------

    def _settings(self) -> Settings:
        # Explicit values: the sandbox must never pick up a production .env's
        # database, token or Redis by accident.
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=BOT_TOKEN,  # type: ignore[arg-type]
            database_url=f"sqlite+aiosqlite:///{self.data_dir / 'courtyard.db'}",
            secret_key=None,
            secret_key_file=self.data_dir / ".secret_key",
            spool_dir=self.data_dir / "spool",
            default_locale=self.options.language,
            fsm_storage="database",
            payments_provider_token=PROVIDER_TOKEN,  # type: ignore[arg-type]
            gate_api_host="127.0.0.1",
            gate_api_port=free_port(),
            webhook_url=None,
            webhook_secret=None,
            duty_phone="+86 21 5555 0100",
            timezone="Asia/Shanghai",
            log_format="text",
            face_workers=0,  # a demo in one process: templates in it, no worker process
        )

    async def _keep_saving(self) -> None:
        while True:
            await asyncio.sleep(self.options.snapshot_interval_s)
            self._save_snapshot()

    def _save_snapshot(self) -> None:
        seq = self.emulator.core.events.last_seq
        if seq == self._saved_seq:
            return
        try:
            snapshot.save(self.emulator, self.snapshot_path)
            self._saved_seq = seq
        except (OSError, TypeError, AttributeError) as exc:
            log.warning("could not save the Telegram state: %s", exc)

    # --- what the page needs -------------------------------------------------------------

    def require_app(self) -> Application:
        """The running application; the page is served a moment before it exists."""
        if self.application is None:
            from bot.sandbox.api import ApiError

            raise ApiError("starting", 503)
        return self.application

    def access_runtime(self) -> Any | None:
        """The gate module's runtime the background service created, if any."""
        app = self.application
        if app is None:
            return None
        return app.ctx.gate


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
