"""A door that exists only in memory: the default, used by the sandbox and tests.

It keeps the door's state (locked, released until a moment, held open) and a
log of every command, so a test or the sandbox page can show what a real relay
would have done. ``fail`` makes it behave like an unreachable relay.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from access.doors.base import DoorError, pulse_ms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DoorCommand:
    at: float  # time.monotonic()
    action: str
    reason: str = ""


@dataclass
class SimulatedDoor:
    gate_id: int
    config: dict[str, Any] = field(default_factory=dict)
    kind: str = "simulated"
    fail: bool = False
    held_open: bool = False
    open_until: float = 0.0
    releases: int = 0
    commands: list[DoorCommand] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pulse_ms = pulse_ms(self.config)
        raw = self.config.get("fail", self.fail)
        self.fail = raw is True or str(raw).strip().lower() in {"1", "true", "yes", "on"}

    @property
    def state(self) -> str:
        if self.held_open:
            return "held_open"
        if time.monotonic() < self.open_until:
            return "released"
        return "locked"

    @property
    def is_open(self) -> bool:
        return self.state != "locked"

    def _record(self, action: str, reason: str = "") -> None:
        if self.fail:
            log.warning("simulated door failure", extra={"fields": {"gate": self.gate_id}})
            raise DoorError("simulated relay does not answer")
        self.commands.append(DoorCommand(time.monotonic(), action, reason))
        if len(self.commands) > 1000:
            del self.commands[:500]
        log.info("door %s", action, extra={"fields": {"gate": self.gate_id, "reason": reason}})

    async def release(self, *, reason: str = "") -> None:
        self._record("release", reason)
        self.releases += 1
        self.open_until = time.monotonic() + self.pulse_ms / 1000

    async def hold_open(self) -> None:
        self._record("hold_open")
        self.held_open = True

    async def restore(self) -> None:
        self._record("restore")
        self.held_open = False
        self.open_until = 0.0

    async def close(self) -> None:
        return None
