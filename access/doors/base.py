"""The one small interface every door driver implements.

A driver releases the lock for a pulse (the normal case), holds the door open
(emergency mode) and restores normal operation. A driver that cannot command its
door raises :class:`DoorError`; the caller logs "granted, door failed", tells the
terminal and alerts staff — it never pretends the door opened.
"""

from __future__ import annotations

from typing import Any, Protocol

DEFAULT_PULSE_MS = 1000
MAX_PULSE_MS = 30_000
DEFAULT_TIMEOUT_S = 2.0


class DoorError(Exception):
    """The door could not be commanded (broker or relay unreachable, refused …)."""


class DoorConfigError(ValueError):
    """The driver settings are missing something or make no sense."""


class DoorDriver(Protocol):
    kind: str

    async def release(self, *, reason: str = "") -> None:
        """Unlock for the configured pulse, then relock by itself."""
        ...

    async def hold_open(self) -> None:
        """Keep the door open until :meth:`restore` (emergency mode)."""
        ...

    async def restore(self) -> None:
        """Back to normal: locked, released only by decisions."""
        ...

    async def close(self) -> None:
        """Free connections; the driver is not used afterwards."""
        ...


def int_option(config: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    raw = config.get(key, default)
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise DoorConfigError(f"{key} must be a whole number") from exc
    if not lo <= value <= hi:
        raise DoorConfigError(f"{key} must be between {lo} and {hi}")
    return value


def float_option(config: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    raw = config.get(key, default)
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise DoorConfigError(f"{key} must be a number") from exc
    if not lo <= value <= hi:
        raise DoorConfigError(f"{key} must be between {lo} and {hi}")
    return value


def pulse_ms(config: dict[str, Any]) -> int:
    return int_option(config, "pulse_ms", DEFAULT_PULSE_MS, 100, MAX_PULSE_MS)
