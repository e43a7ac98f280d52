"""A door behind an MQTT relay controller (aiomqtt).

Settings: ``host`` (127.0.0.1), ``port`` (1883), ``topic`` (required),
``pulse_ms`` (1000), ``username``/``password`` (optional), ``qos`` (1),
``timeout_s`` (2).

A release is ``{"command": "release", "pulse_ms": N, "gate": ID, "reason": …}``,
published with QoS 1 and not retained, so a controller that reconnects later
does not open the door again. ``hold_open`` and ``normal`` are retained: a
controller that restarts mid-emergency comes back holding the door open.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiomqtt

from access.doors.base import (
    DEFAULT_TIMEOUT_S,
    DoorConfigError,
    DoorError,
    float_option,
    int_option,
    pulse_ms,
)


class MqttDoor:
    kind = "mqtt"

    def __init__(self, gate_id: int, config: dict[str, Any]) -> None:
        self.gate_id = gate_id
        self.host = str(config.get("host", "127.0.0.1"))
        self.port = int_option(config, "port", 1883, 1, 65535)
        self.topic = str(config.get("topic", "")).strip()
        if not self.topic or any(c in self.topic for c in "#+"):
            raise DoorConfigError("topic is required and may not contain wildcards")
        self.pulse_ms = pulse_ms(config)
        self.qos = int_option(config, "qos", 1, 0, 2)
        self.timeout_s = float_option(config, "timeout_s", DEFAULT_TIMEOUT_S, 0.1, 30)
        self.username = config.get("username") or None
        self.password = config.get("password") or None
        self._client: aiomqtt.Client | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> aiomqtt.Client:
        if self._client is None:
            client = aiomqtt.Client(
                self.host,
                self.port,
                username=self.username,
                password=self.password,
                identifier=None,
                timeout=self.timeout_s,
            )
            await asyncio.wait_for(client.__aenter__(), self.timeout_s)
            self._client = client
        return self._client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await asyncio.wait_for(client.__aexit__(None, None, None), self.timeout_s)
            except Exception:  # noqa: S110 - the connection is being thrown away
                pass

    async def _publish(self, payload: dict[str, Any], *, retain: bool) -> None:
        body = json.dumps({**payload, "gate": self.gate_id}, ensure_ascii=False)
        async with self._lock:
            # One reconnect attempt: a broker restart should not cost an entry.
            for attempt in (1, 2):
                try:
                    client = await self._connected()
                    await asyncio.wait_for(
                        client.publish(self.topic, body, qos=self.qos, retain=retain),
                        self.timeout_s,
                    )
                    return
                except (aiomqtt.MqttError, OSError, TimeoutError) as exc:
                    await self._drop()
                    if attempt == 2:
                        raise DoorError(f"MQTT broker {self.host}:{self.port}: {exc}") from exc

    async def release(self, *, reason: str = "") -> None:
        await self._publish(
            {"command": "release", "pulse_ms": self.pulse_ms, "reason": reason}, retain=False
        )

    async def hold_open(self) -> None:
        await self._publish({"command": "hold_open"}, retain=True)

    async def restore(self) -> None:
        await self._publish({"command": "normal"}, retain=True)

    async def close(self) -> None:
        async with self._lock:
            await self._drop()
