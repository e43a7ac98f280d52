"""Bot-level methods: identity, updates, webhook, commands, menu button, bot texts."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.emulator.core import EmulatorCore
from bot.emulator.errors import bad_request
from bot.emulator.methods.registry import bot_method
from bot.emulator.params import Params
from bot.emulator.render import bot_user_json
from bot.emulator.state import Chat

_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


@bot_method("getMe")
async def get_me(core: EmulatorCore, p: Params) -> dict[str, Any]:
    return bot_user_json(core.bot, get_me=True)


@bot_method("logOut", "close")
async def log_out(core: EmulatorCore, p: Params) -> bool:
    return True


@bot_method("getUpdates")
async def get_updates(core: EmulatorCore, p: Params) -> list[dict[str, Any]]:
    allowed = p.get_json("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("allowed_updates is invalid")
    return await core.updates.get_updates(
        offset=p.get_int("offset"),
        limit=p.get_int("limit", 100) or 100,
        timeout=float(p.get_int("timeout", 0) or 0),
        allowed_updates=allowed,
    )


# ------------------------------------------------------------------- webhook


@bot_method("setWebhook")
async def set_webhook(core: EmulatorCore, p: Params) -> bool:
    url = p.get_str("url", "") or ""
    config = core.world.webhook
    if url and not url.startswith(("http://", "https://")):
        # Telegram demands HTTPS; plain HTTP is allowed here for local receivers.
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get_str("secret_token")
    if secret and not _SECRET_TOKEN.match(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = p.get_json("allowed_updates")
    if p.get_bool("drop_pending_updates"):
        core.updates.clear()
    config.url = url
    config.secret_token = secret or None
    config.max_connections = p.get_int("max_connections", 40) or 40
    if allowed is not None:
        config.allowed_updates = allowed
        core.updates.allowed_updates = allowed
    config.last_error_date = None
    config.last_error_message = None
    # A new webhook ends any long poll and wakes the delivery task.
    core.updates.terminate_polls()
    core.events.emit("webhook_set" if url else "webhook_deleted", None, url=url)
    return True


@bot_method("deleteWebhook")
async def delete_webhook(core: EmulatorCore, p: Params) -> bool:
    if p.get_bool("drop_pending_updates"):
        core.updates.clear()
    was_set = bool(core.world.webhook.url)
    core.world.webhook.url = ""
    core.world.webhook.secret_token = None
    if was_set:
        core.events.emit("webhook_deleted", None, url="")
    return True


@bot_method("getWebhookInfo")
async def get_webhook_info(core: EmulatorCore, p: Params) -> dict[str, Any]:
    config = core.world.webhook
    info: dict[str, Any] = {
        "url": config.url,
        "has_custom_certificate": False,
        "pending_update_count": core.updates.pending_count,
    }
    if config.url:
        info["max_connections"] = config.max_connections
        info["ip_address"] = "127.0.0.1"
        if config.allowed_updates is not None:
            info["allowed_updates"] = config.allowed_updates
    if config.last_error_date is not None:
        info["last_error_date"] = config.last_error_date
        info["last_error_message"] = config.last_error_message
    return info


# ------------------------------------------------------------------ commands


def scope_key(core: EmulatorCore, scope: Any) -> str:
    """Canonical JSON of a BotCommandScope, validating chat references."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope")
    known = {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
    if scope["type"] not in known:
        raise bad_request("unsupported BotCommandScope type")
    normalized: dict[str, Any] = {"type": scope["type"]}
    if scope["type"] in ("chat", "chat_administrators", "chat_member"):
        chat_id = scope.get("chat_id")
        try:
            chat_id = int(chat_id)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise bad_request("chat not found") from exc
        core.chat_for_bot(chat_id)
        normalized["chat_id"] = chat_id
    if scope["type"] == "chat_member":
        normalized["user_id"] = int(scope.get("user_id", 0))
    return json.dumps(normalized, sort_keys=True)


@bot_method("setMyCommands")
async def set_my_commands(core: EmulatorCore, p: Params) -> bool:
    commands = p.get_json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands is invalid")
    clean: list[dict[str, Any]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = str(command.get("command", "")).removeprefix("/")
        description = str(command.get("description", ""))
        if not _COMMAND.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": description})
    key = (scope_key(core, p.get_json("scope")), p.get_str("language_code", "") or "")
    if clean:
        core.world.commands[key] = clean
    else:
        core.world.commands.pop(key, None)
    core.events.emit("commands_changed", None, scope=json.loads(key[0]), language_code=key[1])
    return True


@bot_method("getMyCommands")
async def get_my_commands(core: EmulatorCore, p: Params) -> list[dict[str, Any]]:
    key = (scope_key(core, p.get_json("scope")), p.get_str("language_code", "") or "")
    return list(core.world.commands.get(key, []))


@bot_method("deleteMyCommands")
async def delete_my_commands(core: EmulatorCore, p: Params) -> bool:
    key = (scope_key(core, p.get_json("scope")), p.get_str("language_code", "") or "")
    core.world.commands.pop(key, None)
    core.events.emit("commands_changed", None, scope=json.loads(key[0]), language_code=key[1])
    return True


def effective_commands(
    core: EmulatorCore, chat: Chat, user_id: int, language_code: str | None
) -> list[dict[str, Any]]:
    """The command list a user would see in a chat, by Telegram's scope order.

    Not a Bot API method: the sandbox page and tests use it to show the menu.
    """
    scopes: list[dict[str, Any]] = []
    if chat.type == "private":
        scopes += [
            {"type": "chat", "chat_id": chat.id},
            {"type": "all_private_chats"},
        ]
    else:
        member = chat.members.get(user_id)
        is_admin = member is not None and member.is_admin
        scopes.append({"type": "chat_member", "chat_id": chat.id, "user_id": user_id})
        if is_admin:
            scopes.append({"type": "chat_administrators", "chat_id": chat.id})
        scopes.append({"type": "chat", "chat_id": chat.id})
        if is_admin:
            scopes.append({"type": "all_chat_administrators"})
        scopes.append({"type": "all_group_chats"})
    scopes.append({"type": "default"})
    languages = [language_code, ""] if language_code else [""]
    for scope in scopes:
        key = json.dumps(scope, sort_keys=True)
        for language in languages:
            found = core.world.commands.get((key, language or ""))
            if found:
                return list(found)
    return []


# --------------------------------------------------------------- menu button


@bot_method("setChatMenuButton")
async def set_chat_menu_button(core: EmulatorCore, p: Params) -> bool:
    button = p.get_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button")
    if button["type"] == "web_app" and not (button.get("text") and button.get("web_app")):
        raise bad_request("can't parse menu button")
    chat_id = p.get_int("chat_id")
    if chat_id is None:
        core.world.default_menu_button = (
            button if button["type"] != "default" else {"type": "commands"}
        )
    else:
        chat = core.chat_for_bot(chat_id)
        chat.menu_button = button if button["type"] != "default" else None
    core.events.emit("menu_button_changed", chat_id, menu_button=button)
    return True


@bot_method("getChatMenuButton")
async def get_chat_menu_button(core: EmulatorCore, p: Params) -> dict[str, Any]:
    chat_id = p.get_int("chat_id")
    if chat_id is not None:
        chat = core.chat_for_bot(chat_id)
        if chat.menu_button:
            return chat.menu_button
    return core.world.default_menu_button


# ----------------------------------------------------------------- bot texts


def _text_setter(kind: str, limit: int) -> None:
    async def setter(core: EmulatorCore, p: Params) -> bool:
        value = p.get_str(kind, "") or ""
        if len(value) > limit:
            raise bad_request(f"{kind} is too long")
        key = (kind, p.get_str("language_code", "") or "")
        if value:
            core.world.bot_texts[key] = value
        else:
            core.world.bot_texts.pop(key, None)
        return True

    async def getter(core: EmulatorCore, p: Params) -> dict[str, Any]:
        language = p.get_str("language_code", "") or ""
        texts = core.world.bot_texts
        value = texts.get((kind, language)) or texts.get((kind, ""), "")
        if kind == "name" and not value:
            value = core.bot.first_name
        return {kind: value}

    suffix = "".join(part.capitalize() for part in kind.split("_"))
    bot_method(f"setMy{suffix}")(setter)
    bot_method(f"getMy{suffix}")(getter)


_text_setter("name", 64)
_text_setter("description", 512)
_text_setter("short_description", 120)
