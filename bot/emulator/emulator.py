"""`Emulator`: the façade that wires the core, the HTTP servers and the client.

Typical test use::

    async with Emulator(bot_username="courtyard_bot") as emu:
        bot = emu.create_bot()                      # aiogram Bot pointed at emu
        alice = emu.user(1001, "Alice")
        await alice.send("/start")
        await alice.expect(text_contains="Welcome")

One emulator instance serves exactly one bot identity; any well-formed token
reaches it. aiogram derives ``bot.id`` from the token, so unless ``bot_id`` (or
``token``) is given, the first token the bot uses fixes the bot's id; `bot_token`
is a ready-made token for that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.actions import UserActions
from bot.emulator.client import GroupHandle, UserHandle
from bot.emulator.control import ControlAPI
from bot.emulator.core import ApiCall, EmulatorCore
from bot.emulator.errors import EmulatorError
from bot.emulator.events import EventBus
from bot.emulator.options import EmulatorOptions, FloodLimits
from bot.emulator.server import BotAPIServer
from bot.emulator.state import (
    BotIdentity,
    Chat,
    Member,
    MemberStatus,
    User,
    WebhookConfig,
    World,
)

if TYPE_CHECKING:
    from aiogram import Bot

DEFAULT_BOT_ID = 7_000_000_001


def build_group(
    core: EmulatorCore,
    actions: UserActions,
    chat_id: int,
    title: str,
    *,
    is_forum: bool = False,
    bot_is_admin: bool = True,
    bot_rights: dict[str, bool] | None = None,
    bot_member: bool = True,
) -> Chat:
    """Create a group chat; "-100..." ids and forums are supergroups, as in Telegram."""
    if chat_id >= 0:
        raise EmulatorError("group chat ids are negative (supergroups: -100...)")
    existing = core.world.chats.get(chat_id)
    if existing is not None:
        return existing
    supergroup = is_forum or str(chat_id).startswith("-100")
    chat = core.add_group(
        Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            is_forum=is_forum,
            # Message 1 of a forum is General's creation (GENERAL_TOPIC_ID): new
            # topics and messages must not reuse that id.
            next_message_id=2 if is_forum else 1,
        )
    )
    if bot_member:
        status: MemberStatus = "administrator" if bot_is_admin else "member"
        actions.add_member(chat_id, core.bot.id, status, bot_rights)
    return chat


class Emulator:
    """A local Telegram Bot API server plus the people talking to the bot."""

    def __init__(
        self,
        bot_username: str = "courtyard_bot",
        *,
        bot_id: int | None = None,
        bot_name: str | None = None,
        token: str | None = None,
        strict_token: bool = False,
        privacy_mode: bool = True,
        flood_limits: bool | FloodLimits = False,
        first_update_id: int = 1,
    ) -> None:
        identity = BotIdentity(
            id=bot_id or DEFAULT_BOT_ID,
            first_name=bot_name or bot_username.removesuffix("_bot").replace("_", " ").title(),
            username=bot_username,
        )
        options = EmulatorOptions(privacy_mode=privacy_mode)
        self.core = EmulatorCore(
            identity, options, first_update_id, bot_id_fixed=bot_id is not None or token is not None
        )
        self.flood_limits = flood_limits
        self.actions = UserActions(self.core)
        if token is not None:
            identity.id = int(token.split(":", 1)[0])
        self.bot_token = token or f"{identity.id}:EMU{secrets.token_urlsafe(24)}"
        self.api = BotAPIServer(self.core, self.bot_token if strict_token else None)
        self.control = ControlAPI(self.core, self.actions)
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.api.setup(self.app)
        self.control.setup(self.app)
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._base_url: str | None = None
        self._users: dict[int, UserHandle] = {}
        self._groups: dict[int, GroupHandle] = {}

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started (pass to TelegramAPIServer.from_base)."""
        if self._base_url is None:
            raise EmulatorError("the emulator is not started")
        return self._base_url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); returns the base URL."""
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # aiohttp keeps the bound sockets here
        sockets = getattr(server, "sockets", None) or []
        bound_port = sockets[0].getsockname()[1] if sockets else port
        self._base_url = f"http://{host}:{bound_port}"
        self._webhook_task = asyncio.create_task(
            self.core.updates.run_webhook(self.api.call), name="emulator-webhook"
        )
        return self._base_url

    async def stop(self) -> None:
        self.core.updates.shutdown()
        self.control.shutdown()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        for future in self.core.answer_waiters.values():
            future.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def create_bot(self, **kwargs: Any) -> Bot:
        """An aiogram Bot talking to this emulator (kwargs go to Bot())."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.bot_token, session=session, **kwargs)

    # ----------------------------------------------------------- the world

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = "en",
        started: bool = True,
        phone_number: str | None = None,
    ) -> UserHandle:
        """A person with a private chat with the bot (created on first call).

        ``started=False`` models someone who never pressed Start: the bot then
        gets "Forbidden: bot can't initiate conversation with a user".
        """
        if user_id <= 0:
            raise EmulatorError("user ids are positive")
        user = self.core.world.users.get(user_id)
        if user is None:
            user = self.core.add_user(
                User(
                    user_id,
                    first_name or f"User {user_id}",
                    last_name,
                    username,
                    language_code,
                    started=started,
                    phone_number=phone_number,
                )
            )
        else:
            user.started = user.started or started
            if first_name is not None:
                user.first_name = first_name
        handle = self._users.get(user_id)
        if handle is None:
            handle = self._users[user_id] = UserHandle(self.core, self.actions, user_id)
        return handle

    def group(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        is_forum: bool = False,
        bot_is_admin: bool = True,
        bot_rights: dict[str, bool] | None = None,
        bot_member: bool = True,
    ) -> GroupHandle:
        """A group with the bot in it (admin with default rights unless told otherwise)."""
        build_group(
            self.core,
            self.actions,
            chat_id,
            title,
            is_forum=is_forum,
            bot_is_admin=bot_is_admin,
            bot_rights=bot_rights,
            bot_member=bot_member,
        )
        handle = self._groups.get(chat_id)
        if handle is None:
            handle = self._groups[chat_id] = GroupHandle(self.core, self.actions, chat_id)
        return handle

    def inject_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update as is (keeps its update_id: use it to simulate redelivery)."""
        return self.core.updates.inject(update)

    # ------------------------------------------------------------- options

    @property
    def flood_limits(self) -> FloodLimits | None:
        return self.core.options.flood_limits

    @flood_limits.setter
    def flood_limits(self, value: bool | FloodLimits | None) -> None:
        if isinstance(value, FloodLimits):
            self.core.options.flood_limits = value
        else:
            self.core.options.flood_limits = FloodLimits() if value else None

    @property
    def privacy_mode(self) -> bool:
        return self.core.options.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, value: bool) -> None:
        self.core.options.privacy_mode = value

    # ---------------------------------------------------------- inspection

    @property
    def world(self) -> World:
        return self.core.world

    @property
    def events(self) -> EventBus:
        return self.core.events

    @property
    def webhook(self) -> WebhookConfig:
        return self.core.world.webhook

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API call the bot made (getUpdates only when it failed)."""
        return self.core.calls

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.core.calls if c.method.lower() == method.lower()]

    def bot_member(self, chat_id: int) -> Member | None:
        return self.core.world.chats[chat_id].members.get(self.core.bot.id)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.core.updates.pending()
