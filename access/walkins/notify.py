"""How walk-ins and intercom calls reach people, without knowing about Telegram.

The bot implements :class:`WalkinNotifier` (``handlers.gate.walkin_notifier``) and sets
it on the desk when the gate area attaches; alone (no bot) the desk only logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from access.walkins.views import CallView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ring:
    """A call to ring: the household's residents get the photo and the two buttons."""

    call: CallView
    resident_ids: tuple[int, ...]
    # The gate camera's JPEG (a terminal) or a Telegram file id (a guard's photo).
    photo: bytes | str | None = None


@dataclass(frozen=True)
class RingMessage:
    """A ringing message delivered to a resident (to close it when the call is over)."""

    person_id: int
    chat_id: int
    message_id: int
    photo: bool


class WalkinNotifier(Protocol):
    async def ring(self, ring: Ring) -> list[RingMessage]:
        """Ring every resident of the unit; return the messages delivered."""
        ...

    async def call_closed(self, call: CallView, messages: list[RingMessage]) -> None:
        """The call was decided or ended: each ringing message says so, buttons gone."""
        ...

    async def to_guards(self, call: CallView) -> None:
        """Tell the gate's staff: nobody lives there, nobody was reached, or no answer."""
        ...


class LoggingWalkinNotifier:
    async def ring(self, ring: Ring) -> list[RingMessage]:
        log.info("walk-in rung", extra={"fields": {"call": ring.call.id}})
        return []

    async def call_closed(self, call: CallView, messages: list[RingMessage]) -> None:
        log.info("walk-in closed", extra={"fields": {"call": call.id, "status": call.status}})

    async def to_guards(self, call: CallView) -> None:
        log.warning(
            "walk-in for the guards", extra={"fields": {"call": call.id, "status": call.status}}
        )
