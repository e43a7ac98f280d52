"""How the gate module tells people things, without knowing about Telegram.

``access/`` never imports aiogram. The bot implements :class:`AccessNotifier`
(``handlers.gate.notifier.ChatNotifier``) and hands it to the runtime; the
gate API run on its own gets the same implementation when a bot token is set,
and :class:`LoggingNotifier` otherwise.

Notifications are sent in the background after the terminal has its answer, so
Telegram's pace never slows the gate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from access.decision import Decision, HostRing
from access.gates import GateInfo
from access.throttle import Lockout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DoorFailure:
    gate: GateInfo
    decision: Decision
    error: str


@dataclass(frozen=True)
class GateAlarm:
    gate: GateInfo
    event_id: int
    type: str
    details: str
    terminal: str | None
    at: datetime


class AccessNotifier(Protocol):
    async def lockout(self, gate: GateInfo, lockout: Lockout) -> None:
        """A terminal stopped accepting codes (staff should look at the gate)."""
        ...

    async def door_failed(self, failure: DoorFailure) -> None:
        """Someone was let in but the door could not be commanded."""
        ...

    async def gate_alarm(self, alarm: GateAlarm) -> None:
        """Door forced, held open, tamper."""
        ...

    async def pass_used(self, gate: GateInfo, decision: Decision) -> None:
        """Tell the host who came in, where and when (for a daily-help pass: every
        household keeping it, on entry and on exit)."""
        ...

    async def ring_host(self, gate: GateInfo, ring: HostRing) -> None:
        """Their visitor's correct code met a locked-out keypad: offer to open."""
        ...

    async def parking_due(self, gate: GateInfo, decision: Decision) -> None:
        """Their visitor's car (or their own) is held at the exit for parking: offer Pay."""
        ...


class LoggingNotifier:
    """Writes every alert to the log; used when no bot is available."""

    async def lockout(self, gate: GateInfo, lockout: Lockout) -> None:
        log.warning(
            "gate locked out",
            extra={"fields": {"gate": gate.id, "seconds": lockout.seconds, "level": lockout.level}},
        )

    async def door_failed(self, failure: DoorFailure) -> None:
        log.error(
            "door failed",
            extra={"fields": {"gate": failure.gate.id, "error": failure.error}},
        )

    async def gate_alarm(self, alarm: GateAlarm) -> None:
        log.warning("gate alarm", extra={"fields": {"gate": alarm.gate.id, "type": alarm.type}})

    async def pass_used(self, gate: GateInfo, decision: Decision) -> None:
        log.info("pass used", extra={"fields": {"gate": gate.id, "pass": decision.pass_id}})

    async def ring_host(self, gate: GateInfo, ring: HostRing) -> None:
        log.info("host rung", extra={"fields": {"gate": gate.id, "pass": ring.pass_id}})

    async def parking_due(self, gate: GateInfo, decision: Decision) -> None:
        log.info("parking due", extra={"fields": {"gate": gate.id, "log": decision.log_id}})
