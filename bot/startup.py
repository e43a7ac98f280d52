"""Why the command line could not start, in one line for the operator.

:class:`bot.cli.CourtyardGroup` asks :func:`explain` about any exception a command
ends with. A setting problem or a dependency that cannot be reached becomes one
line naming the setting to set or check, with every secret masked, and an exit
code (a bug keeps its traceback):

- ``EXIT_SETTINGS`` (2): a setting is missing or wrong — fix it, then start again
  (bad token, impossible file path, wrong database credentials or name …).
- ``EXIT_UNAVAILABLE`` (3): a service a setting points at could not be reached
  (Telegram's Bot API, the database server): it may be down or the network may be
  cut, so starting again later can work. A supervisor may retry on 3, not on 2.

A migration that fails is one line too: 3 when trying again may work (the
connection was lost, a lock was not available), 2 when a person must look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.settings import Settings, SettingsError
from core.db import masked_url
from core.migrate import DatabaseUnavailable, MigrationFailed

EXIT_SETTINGS = 2
EXIT_UNAVAILABLE = 3

# A bot token inside a URL or message (…/bot123456:ABC…/getMe), whatever the settings.
_TOKEN_IN_TEXT = re.compile(r"\d{3,}:[A-Za-z0-9_-]{8,}")


@dataclass(frozen=True)
class StartupFailure:
    code: int
    message: str


def explain(exc: BaseException, settings: Settings | None) -> StartupFailure | None:
    """The one line for ``exc`` and its exit code, or None (not a start-up problem)."""
    failure = _explain(exc, settings)
    if failure is None:
        return None
    return StartupFailure(failure.code, scrub(failure.message, settings))


def _explain(exc: BaseException, settings: Settings | None) -> StartupFailure | None:
    if isinstance(exc, SettingsError):
        return StartupFailure(EXIT_SETTINGS, str(exc))
    if isinstance(exc, DatabaseUnavailable):
        if exc.transient:
            return StartupFailure(
                EXIT_UNAVAILABLE,
                f"cannot reach the database at {exc.url} ({exc.reason}): check that it is "
                "running and reachable, and COURTYARD_DATABASE_URL.",
            )
        return StartupFailure(
            EXIT_SETTINGS,
            f"cannot open the database at {exc.url} ({exc.reason}): check COURTYARD_DATABASE_URL.",
        )
    if isinstance(exc, MigrationFailed):
        return StartupFailure(
            EXIT_UNAVAILABLE if exc.transient else EXIT_SETTINGS,
            f"the database migration of {exc.url} failed ({exc.reason}): "
            + (
                "try again when the database answers."
                if exc.transient
                else "fix the cause, then run `courtyard migrate` again."
            ),
        )
    redis = _explain_redis(exc, settings)
    if redis is not None:
        return redis
    return _explain_telegram(exc, settings)


def _explain_redis(exc: BaseException, settings: Settings | None) -> StartupFailure | None:
    from redis.exceptions import AuthenticationError, RedisError

    url = masked_url(settings.redis_url) if settings is not None else "Redis"
    if isinstance(exc, AuthenticationError):
        return StartupFailure(
            EXIT_SETTINGS, f"Redis at {url} refused the login: check COURTYARD_REDIS_URL."
        )
    if isinstance(exc, RedisError | TimeoutError) and settings is not None:
        if settings.fsm_storage == "redis":
            return StartupFailure(
                EXIT_UNAVAILABLE,
                f"cannot reach Redis at {url} ({_one_line(str(exc)) or 'no answer'}): check "
                "that it is running, and COURTYARD_REDIS_URL (COURTYARD_FSM_STORAGE=redis).",
            )
    return None


def _explain_telegram(exc: BaseException, settings: Settings | None) -> StartupFailure | None:
    from aiogram.exceptions import (
        ClientDecodeError,
        TelegramAPIError,
        TelegramBadRequest,
        TelegramNetworkError,
        TelegramNotFound,
        TelegramRetryAfter,
        TelegramServerError,
        TelegramUnauthorizedError,
    )

    if not isinstance(exc, TelegramAPIError | ClientDecodeError):
        return None
    api = masked_url(settings.telegram_api) if settings is not None else "Telegram"
    where = f"the Telegram Bot API at {api}"
    if isinstance(exc, TelegramUnauthorizedError):
        return StartupFailure(
            EXIT_SETTINGS,
            f"{where} refused COURTYARD_BOT_TOKEN (401 Unauthorized): set it to the bot's "
            "current token from @BotFather.",
        )
    if isinstance(exc, TelegramNetworkError):
        return StartupFailure(
            EXIT_UNAVAILABLE,
            f"cannot reach {where} ({_one_line(exc.message)}): check COURTYARD_TELEGRAM_API "
            "and the network.",
        )
    if isinstance(exc, TelegramServerError | TelegramRetryAfter):
        return StartupFailure(
            EXIT_UNAVAILABLE,
            f"{where} is not available just now ({_one_line(exc.message)}): try again later, "
            "or check COURTYARD_TELEGRAM_API.",
        )
    if isinstance(exc, ClientDecodeError | TelegramNotFound):
        return StartupFailure(
            EXIT_SETTINGS,
            f"{where} does not answer like Telegram's Bot API: check COURTYARD_TELEGRAM_API "
            "(and COURTYARD_BOT_TOKEN).",
        )
    method = getattr(getattr(exc, "method", None), "__api_method__", "a request")
    if isinstance(exc, TelegramBadRequest) and method == "setWebhook":
        return StartupFailure(
            EXIT_SETTINGS,
            f"Telegram refused the webhook ({_one_line(exc.message)}): check "
            "COURTYARD_WEBHOOK_URL (a public HTTPS URL) and COURTYARD_WEBHOOK_SECRET.",
        )
    return StartupFailure(
        EXIT_SETTINGS,
        f"{where} refused {method} ({_one_line(exc.message)}): check COURTYARD_BOT_TOKEN "
        "and COURTYARD_TELEGRAM_API.",
    )


def scrub(text: str, settings: Settings | None) -> str:
    """``text`` without any secret the settings hold (nor anything shaped like a bot
    token), and on one line."""
    secrets: list[str] = []
    if settings is not None:
        for value in (
            settings.bot_token,
            settings.webhook_secret,
            settings.secret_key,
            settings.payments_provider_token,
        ):
            if value is not None and value.get_secret_value().strip():
                secret = value.get_secret_value().strip()
                secrets.append(secret)
                if value is settings.bot_token:
                    secrets.append(secret.partition(":")[2])  # the part after the bot id
        for url in (settings.database_url, settings.redis_url, settings.telegram_api):
            password = _password_of(url)
            if password:
                secrets.append(password)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        if len(secret) >= 3:  # never mask every "a" of the text for a one-letter secret
            text = text.replace(secret, "***")
    return _one_line(_TOKEN_IN_TEXT.sub("***", text))


def _password_of(url: str) -> str:
    userinfo, at, _ = url.partition("://")[2].partition("/")[0].rpartition("@")
    return userinfo.partition(":")[2] if at else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
