"""Door drivers behind one small interface (:class:`DoorDriver`).

``simulated`` (the default; keeps state in memory), ``mqtt`` (aiomqtt) and
``http`` (a relay controller's endpoint). :class:`DoorRegistry` keeps one driver
per gate for the life of the process and rebuilds it when the gate's settings
change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from access.doors.base import DoorConfigError, DoorDriver, DoorError
from access.doors.http import HttpDoor
from access.doors.mqtt import MqttDoor
from access.doors.simulated import SimulatedDoor

DRIVERS = ("simulated", "mqtt", "http")

__all__ = [
    "DRIVERS",
    "DoorConfigError",
    "DoorDriver",
    "DoorError",
    "DoorRegistry",
    "HttpDoor",
    "MqttDoor",
    "SimulatedDoor",
    "build_driver",
    "validate_driver_config",
]


def build_driver(kind: str, gate_id: int, config: dict[str, Any]) -> DoorDriver:
    if kind == "simulated":
        return SimulatedDoor(gate_id, dict(config))
    if kind == "mqtt":
        return MqttDoor(gate_id, config)
    if kind == "http":
        return HttpDoor(gate_id, config)
    raise DoorConfigError(f"unknown door driver {kind!r} (use one of {', '.join(DRIVERS)})")


def validate_driver_config(kind: str, config: dict[str, Any]) -> None:
    """Raise :class:`DoorConfigError` when ``config`` would not make a working driver."""
    build_driver(kind, 0, config)


class DoorRegistry:
    """``open_config`` turns a gate's stored settings into the driver's (it opens
    sealed secrets, :mod:`access.doors.sealing`); it runs only when a driver is built."""

    def __init__(
        self, open_config: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> None:
        self._drivers: dict[int, tuple[str, str, DoorDriver]] = {}
        self._lock = asyncio.Lock()
        self._open_config = open_config or dict

    def get(self, gate_id: int, kind: str, config: dict[str, Any]) -> DoorDriver:
        fingerprint = repr(sorted(config.items()))
        current = self._drivers.get(gate_id)
        if current is not None and current[0] == kind and current[1] == fingerprint:
            return current[2]
        driver = build_driver(kind, gate_id, self._open_config(config))
        if current is not None:
            # The old driver may hold a connection; close it in the background.
            task = asyncio.ensure_future(current[2].close())
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        self._drivers[gate_id] = (kind, fingerprint, driver)
        return driver

    def existing(self, gate_id: int) -> DoorDriver | None:
        entry = self._drivers.get(gate_id)
        return entry[2] if entry else None

    async def close(self) -> None:
        async with self._lock:
            for _, _, driver in self._drivers.values():
                try:
                    await driver.close()
                except Exception:  # noqa: S112 - closing best effort at shutdown
                    continue
            self._drivers.clear()
