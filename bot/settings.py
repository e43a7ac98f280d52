"""Application settings, read from ``COURTYARD_*`` environment variables and ``.env``.

Every setting is documented in ``.env.example``. ``load_settings`` turns a
validation failure into :class:`SettingsError` with one readable line, so the
command line can print it and exit instead of showing a traceback.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import Ge, Gt, Le
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LOCALES = ("zh_Hans", "en")
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COURTYARD_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    bot_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather (required to run the bot)."
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///./courtyard.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///… or postgresql+asyncpg://…",
    )
    telegram_api: str = Field(
        default="https://api.telegram.org",
        description="Bot API base URL; point it at the emulator in tests and the sandbox.",
    )
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to (webhook mode)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    webhook_order_grace_s: float = Field(
        default=0.05,
        ge=0,
        le=5,
        allow_inf_nan=False,
        description="How long a webhook update waits for an earlier one of its chat "
        "still on its way (docs/decisions/0019-delivery-guarantee.md).",
    )
    default_locale: Literal["zh_Hans", "en"] = "zh_Hans"
    timezone: str = "Asia/Shanghai"
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for hashing codes and encrypting sensitive fields. Generated and "
        "stored in SECRET_KEY_FILE on first run when absent.",
    )
    secret_key_file: Path = Path(".secret_key")
    fsm_storage: Literal["database", "redis", "memory"] = "database"
    redis_url: str = "redis://127.0.0.1:6379/0"
    concurrent_updates: int = Field(
        default=24,
        ge=1,
        le=1000,
        description="Updates processed at once per process (more wait their turn).",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    # Telegram limits (see docs/decisions/0003-outgoing-messages.md). Zero would
    # stop sending (a rate) or divide by zero (an interval), so each is positive.
    send_rate_global: float = Field(default=30.0, gt=0, le=1000, allow_inf_nan=False)
    send_interval_private_s: float = Field(default=1.0, gt=0, le=60, allow_inf_nan=False)
    send_per_minute_group: int = Field(default=20, ge=1, le=600)
    # Gate terminal API, served by `courtyard run` alongside the bot.
    gate_api_host: str = "127.0.0.1"
    gate_api_port: int = Field(default=8090, ge=1, le=65535)
    # Seconds a household has to answer a walk-in or an intercom call at the gate.
    walkin_answer_s: int = Field(default=60, ge=15, le=600)
    # /livez, /readyz and /metrics of the scheduler and long polling (the webhook port
    # and the gate API serve them on their own ports). 0: not served.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # A vehicle gate's plate reader (access/vehicles; docs/decisions/0030-vehicles.md).
    plate_min_confidence: float = Field(
        default=0.9,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="A camera's plate read below this confidence is not trusted alone.",
    )
    payments_provider_token: SecretStr | None = None
    spool_dir: Path = Field(
        default=Path("var/spool"),
        description="Where a payment the database could not take waits to be recorded.",
    )
    duty_phone: str = ""
    # Face access (access/faces; docs/decisions/0005-face-engine.md).
    face_model: str = Field(default="Dlib", description="deepface model for face templates.")
    face_threshold: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Match distance; empty: the measured one for the model.",
    )
    face_margin: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="Runner-up person must be this much farther.",
    )
    face_anti_spoofing: bool = False
    face_workers: int = Field(
        default=1,
        ge=0,
        le=16,
        description=(
            "Processes computing face templates (each loads the model, ~250 MB); "
            "0: in this process, where a template holds up everything else."
        ),
    )
    face_deepface_home: Path | None = Field(
        default=None, description="Folder holding .deepface/weights; empty: $DEEPFACE_HOME."
    )

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("face_threshold", "face_margin", "face_deepface_home", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        # .env.example lists these empty: empty means "the default", not "invalid".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value.strip()):
            raise ValueError("use the Bot API's base URL, e.g. https://api.telegram.org")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")
        ):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://…")
        return value

    def require_bot_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError(
                "COURTYARD_BOT_TOKEN is not set: create a bot with @BotFather and set "
                "COURTYARD_BOT_TOKEN (or try `courtyard sandbox`, which needs no token)."
            )
        token = self.bot_token.get_secret_value().strip()
        left, _, right = token.partition(":")
        if not left.isdigit() or not right:
            raise SettingsError("COURTYARD_BOT_TOKEN does not look like a bot token (123456:ABC…).")
        return token

    def require_webhook(self) -> tuple[str, str]:
        """The webhook's public URL and secret token, or :class:`SettingsError`."""
        url = (self.webhook_url or "").strip()
        if not url:
            raise SettingsError(
                "COURTYARD_WEBHOOK_URL is not set: the public HTTPS URL for Telegram."
            )
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret:
            raise SettingsError(
                "COURTYARD_WEBHOOK_SECRET is not set: webhooks must verify Telegram's secret token."
            )
        if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
            # Telegram's rule for secret_token; it would refuse setWebhook otherwise.
            raise SettingsError(
                "COURTYARD_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -."
            )
        return url, secret

    def secret(self) -> str:
        """The secret key, generating and persisting one on first use."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.secret_key_file
        try:
            if path.exists():
                value = path.read_text(encoding="utf-8").strip()
                if value:
                    self.secret_key = SecretStr(value)
                    return value
            value = secrets.token_urlsafe(48)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Created with 0600 so the key is readable by the service user only.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value + "\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SettingsError(
                f"COURTYARD_SECRET_KEY_FILE={path}: cannot read or create the secret key "
                f"file ({reason}); point it at a file the service can write, or set "
                "COURTYARD_SECRET_KEY."
            ) from None
        self.secret_key = SecretStr(value)
        return value


def allowed_range(field: str) -> str | None:
    """The numbers ``field`` accepts, in words (``a whole number from 1 to 65535``,
    ``a number above 0``), read from its ``Field`` bounds; None for a field that is
    not a bounded number."""
    info = Settings.model_fields.get(field)
    if info is None:
        return None
    rules = {type(rule): rule for rule in info.metadata if isinstance(rule, Ge | Gt | Le)}
    if not rules:
        return None
    whole = int in (getattr(info.annotation, "__args__", None) or (info.annotation,))
    kind = "a whole number" if whole else "a number"
    ge, gt, le = (getattr(rules.get(cls), cls.__name__.lower(), None) for cls in (Ge, Gt, Le))
    if ge is not None and le is not None:
        return f"{kind} from {ge:g} to {le:g}"
    parts = [f"above {gt:g}" if gt is not None else f"of at least {ge:g}" if ge is not None else ""]
    parts.append(f"at most {le:g}" if le is not None else "")
    return f"{kind} " + ", ".join(part for part in parts if part)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; raise :class:`SettingsError` with one line."""
    # Secrets as files (docker compose secrets, a mounted Kubernetes Secret): one file
    # per setting, named like its variable in lower case (courtyard_bot_token).
    secrets_dir = os.environ.get("COURTYARD_SECRETS_DIR")
    if secrets_dir and "_secrets_dir" not in overrides:
        overrides["_secrets_dir"] = secrets_dir
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "_".join(str(p) for p in first["loc"])
        name = "COURTYARD_" + field.upper()
        allowed = allowed_range(field) if field in Settings.model_fields else None
        if allowed is not None:
            # Out of range or not a number at all: the same answer, with the range.
            raise SettingsError(f"{name}={first['input']} is invalid: use {allowed}.") from None
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
