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


class WalkinNotifier(Protocol):
    async def ring(self, ring: Ring) -> int:
        """Ring every resident of the unit; return how many were reached."""
        ...

    async def to_guards(self, call: CallView) -> None:
        """Tell the gate's staff: nobody lives there, nobody was reached, or no answer."""
        ...


class LoggingWalkinNotifier:
    async def ring(self, ring: Ring) -> int:
        log.info("walk-in rung", extra={"fields": {"call": ring.call.id}})
        return 0

    async def to_guards(self, call: CallView) -> None:
        log.warning(
            "walk-in for the guards", extra={"fields": {"call": call.id, "status": call.status}}
        )
