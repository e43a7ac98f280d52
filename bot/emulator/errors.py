"""Error types of the emulator.

`BotAPIError` is what a Bot API method raises to answer the bot with an
``{"ok": false, ...}`` body; its `description` strings copy Telegram's wording
because bot code (and aiogram) match on them, e.g. "message is not modified".

`EmulatorError` is raised to the *test* (or the control HTTP client) when a
user-side action is impossible, e.g. pressing a button that does not exist.
"""

from __future__ import annotations

from typing import Any


class BotAPIError(Exception):
    """A Bot API failure answered to the bot as ``{"ok": false, ...}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """The response body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> BotAPIError:
    """400 "Bad Request: <detail>"."""
    return BotAPIError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> BotAPIError:
    """403 "Forbidden: <detail>"."""
    return BotAPIError(403, f"Forbidden: {detail}")


def not_found(detail: str = "method not found") -> BotAPIError:
    """404 "Not Found: <detail>" (Telegram's answer to an unknown method)."""
    return BotAPIError(404, f"Not Found: {detail}")


def conflict(detail: str) -> BotAPIError:
    """409 "Conflict: <detail>" (polling while a webhook is set, or two pollers)."""
    return BotAPIError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> BotAPIError:
    """429 with ``parameters.retry_after``, which aiogram turns into TelegramRetryAfter."""
    return BotAPIError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


class EmulatorError(Exception):
    """A user-side action the emulator cannot perform (raised to the test)."""
