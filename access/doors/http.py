"""A door behind an HTTP relay controller.

Settings: ``url`` (required, http or https), ``pulse_ms`` (1000), ``token``
(optional, sent as ``Authorization: Bearer …``), ``timeout_s`` (2).

Each command is ``POST url`` with ``{"action": "release"|"hold_open"|"normal",
"pulse_ms": N, "gate": ID}``; any 2xx answer means done, anything else — or no
answer in time — is a :class:`~access.doors.base.DoorError`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import aiohttp

from access.doors.base import DEFAULT_TIMEOUT_S, DoorConfigError, DoorError, float_option, pulse_ms


class HttpDoor:
    kind = "http"

    def __init__(self, gate_id: int, config: dict[str, Any]) -> None:
        self.gate_id = gate_id
        self.url = str(config.get("url", "")).strip()
        parsed = urlparse(self.url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise DoorConfigError("url must be an http:// or https:// address")
        self.pulse_ms = pulse_ms(config)
        self.timeout_s = float_option(config, "timeout_s", DEFAULT_TIMEOUT_S, 0.1, 30)
        self.token = config.get("token") or None
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._session = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        return self._session

    async def _command(self, action: str, **extra: Any) -> None:
        body = {"action": action, "gate": self.gate_id, **extra}
        try:
            async with self._client().post(self.url, json=body) as response:
                if not 200 <= response.status < 300:
                    raise DoorError(f"relay answered HTTP {response.status}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DoorError(f"relay {self.url}: {exc.__class__.__name__} {exc}") from exc

    async def release(self, *, reason: str = "") -> None:
        await self._command("release", pulse_ms=self.pulse_ms, reason=reason)

    async def hold_open(self) -> None:
        await self._command("hold_open")

    async def restore(self) -> None:
        await self._command("normal")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
