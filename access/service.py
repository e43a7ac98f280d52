"""The gate module at run time: decide, then open the door, then tell people.

:class:`AccessRuntime` is built once per process (by the bot, the gate API, the
sandbox, tests) and shared: the HTTP API calls :meth:`verify`, the chat calls
:meth:`open_gate` and the emergency methods. Its door drivers live as long as
the process; everything that must survive it lives in the database.

Order of work for a granted decision: the decision commits first (a slow relay
never loses a log row or lets a second terminal reuse a single-use code), the
door is commanded next, and if the door cannot be commanded a follow-up row
"granted, door failed" is appended, the use is given back, the terminal is told
and staff are alerted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, insert, select, update

from access.doors import DoorError, DoorRegistry
from access.doors.sealing import open_driver_config
from access.gates import GateDirectory, GateInfo
from access.models import Emergency, Gate, GateEvent, GateEventType, PassKind
from access.notify import AccessNotifier, DoorFailure, GateAlarm, LoggingNotifier
from access.runner import TxRunner
from access.throttle import reset as reset_throttle
from access.verification import (
    AccessPolicy,
    Credential,
    Decision,
    DecisionInput,
    Direction,
    DoorOutcome,
    Method,
    decide_tx,
    record_door_failure,
)
from core.clock import Clock, SystemClock
from core.metrics import DOOR_FAILURES, GATE_DECISIONS, GATE_SECONDS

if TYPE_CHECKING:
    from access.faces.service import FaceService
    from access.walkins.service import WalkinDesk

log = logging.getLogger(__name__)

_gates = cast(Table, Gate.__table__)
_events = cast(Table, GateEvent.__table__)
_emergencies = cast(Table, Emergency.__table__)


@dataclass(frozen=True)
class DoorResult:
    gate: GateInfo
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class EmergencyResult:
    started: bool  # False: it was already on (open) / already off (end)
    since: datetime | None
    doors: list[DoorResult]


class AccessRuntime:
    def __init__(
        self,
        *,
        database_url: str,
        secret_key: str,
        clock: Clock | None = None,
        notifier: AccessNotifier | None = None,
        policy: AccessPolicy | None = None,
        doors: DoorRegistry | None = None,
    ) -> None:
        self.runner = TxRunner(database_url)
        self.secret_key = secret_key
        self.clock: Clock = clock or SystemClock()
        self.notifier: AccessNotifier = notifier or LoggingNotifier()
        self.policy = policy or AccessPolicy()
        self.doors = doors or DoorRegistry(lambda c: open_driver_config(c, secret_key))
        self.gates = GateDirectory(self.runner)
        # Face images at the gate (access.faces.service); None: faces get "use_code".
        self.faces: FaceService | None = None
        # Walk-ins and intercom calls (access.walkins), set up by bot.services.build_gate.
        self.walkins: WalkinDesk | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- background notifications -------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("access notification failed", extra={"fields": {"what": what}})

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def in_background(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``coro`` after the caller's answer (logged if it fails), drained on close:
        for the runtime's companions (the walk-in desk's rings and notes)."""
        self._spawn(coro, what)

    async def drain(self, wait_s: float = 10.0) -> None:
        """Wait for pending notifications (tests; orderly shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_s)

    async def close(self) -> None:
        await self.drain(5.0)
        for task in list(self._tasks):
            task.cancel()
        if self.faces is not None:
            await self.faces.close()
        await self.doors.close()
        await self.runner.close()

    # --- decisions ------------------------------------------------------------------

    def driver_for(self, gate: GateInfo) -> Any:
        return self.doors.get(gate.id, gate.driver, gate.driver_config)

    async def verify(
        self,
        gate: GateInfo,
        credential: Credential,
        *,
        direction: Direction = Direction.IN,
        terminal: str | None = None,
        tx: Callable[[Connection, DecisionInput], Decision] = decide_tx,
    ) -> Decision:
        """``tx`` is the decision's transaction: :func:`decide_tx`, or one that does more
        in the same commit (a walk-in's answer, :mod:`access.walkins.gate`)."""
        inp = DecisionInput(
            gate=gate,
            credential=credential,
            direction=direction,
            terminal=terminal,
            now=self.clock.now(),
            secret_key=self.secret_key,
            policy=self.policy,
        )
        started = time.perf_counter()
        decision = await self._decide(gate, inp, direction, tx)
        elapsed = time.perf_counter() - started
        # The metrics of every gate decision (code, QR, face, remote, staff): here only.
        method = credential.method.value
        outcome = "granted" if decision.granted else decision.reason.value
        GATE_DECISIONS.labels(method, outcome).inc()
        GATE_SECONDS.labels(method).observe(elapsed)
        if decision.door == DoorOutcome.FAILED:
            DOOR_FAILURES.labels(gate.driver).inc()
        return decision

    async def _decide(
        self,
        gate: GateInfo,
        inp: DecisionInput,
        direction: Direction,
        tx: Callable[[Connection, DecisionInput], Decision] = decide_tx,
    ) -> Decision:
        decision = await self.runner.run(tx, inp)
        if decision.lockout is not None and decision.lockout.starts_episode:
            # Once per episode: a guesser held to one code every 12 minutes must not
            # turn the staff group into a ticker.
            self._spawn(self.notifier.lockout(gate, decision.lockout), "lockout")
        if decision.ring is not None:
            self._spawn(self.notifier.ring_host(gate, decision.ring), "ring_host")
        if decision.payment is not None and decision.payment.first:
            self._spawn(self.notifier.parking_due(gate, decision), "parking_due")
        if not decision.granted or decision.door != DoorOutcome.NOT_COMMANDED:
            return decision
        try:
            driver = self.driver_for(gate)
            await driver.release(reason=f"{decision.method.value}:{decision.log_id}")
        except (DoorError, ValueError) as exc:
            error = str(exc) or exc.__class__.__name__
            log.error("door failed", extra={"fields": {"gate": gate.id, "error": error}})
            await self.runner.run(record_door_failure, inp, decision)
            failed = decision.with_door(DoorOutcome.FAILED)
            self._spawn(self.notifier.door_failed(DoorFailure(gate, failed, error)), "door")
            return failed
        released = decision.with_door(DoorOutcome.RELEASED)
        if released.pass_id is not None and (
            # Hosts hear of every entry; daily help's households of its exits too.
            direction == Direction.IN or released.pass_kind == PassKind.DAILY_HELP.value
        ):
            self._spawn(self.notifier.pass_used(gate, released), "pass_used")
        return released

    async def open_gate(self, gate_id: int, person_id: int, method: Method) -> Decision | None:
        """A resident's remote opening or a guard's ``/open``; None for an unknown gate."""
        if method not in (Method.REMOTE, Method.STAFF):
            raise ValueError("open_gate is for remote and staff openings")
        gate = await self.gates.get(gate_id)
        if gate is None:
            return None
        return await self.verify(gate, Credential.person(method, person_id))

    # --- terminal events --------------------------------------------------------------

    async def record_event(
        self, gate: GateInfo, event_type: GateEventType, details: str, terminal: str | None
    ) -> int:
        now = self.clock.now()

        def write(conn: Connection) -> int:
            result = conn.execute(
                insert(_events).values(
                    at=now,
                    community_id=gate.community_id,
                    gate_id=gate.id,
                    type=event_type.value,
                    terminal=terminal,
                    details=details[:500],
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

        event_id = await self.runner.run(write)
        alarm = GateAlarm(gate, event_id, event_type.value, details, terminal, now)
        self._spawn(self.notifier.gate_alarm(alarm), "alarm")
        return event_id

    # --- staff tools ------------------------------------------------------------------

    async def reset_throttle(self, gate_id: int) -> None:
        now = self.clock.now()
        await self.runner.run(lambda conn: reset_throttle(conn, gate_id, now))

    async def _community_gates(self, community_id: int) -> list[GateInfo]:
        def ids(conn: Connection) -> list[int]:
            return list(
                conn.execute(
                    select(_gates.c.id).where(
                        _gates.c.community_id == community_id, _gates.c.active.is_(True)
                    )
                ).scalars()
            )

        result: list[GateInfo] = []
        for gate_id in await self.runner.run(ids, readonly=True):
            self.gates.invalidate(gate_id)
            gate = await self.gates.get(gate_id)
            if gate is not None:
                result.append(gate)
        return result

    async def _command_all(self, gates: list[GateInfo], action: str) -> list[DoorResult]:
        async def one(gate: GateInfo) -> DoorResult:
            try:
                driver = self.driver_for(gate)
                await (driver.hold_open() if action == "hold_open" else driver.restore())
                return DoorResult(gate, True)
            except (DoorError, ValueError) as exc:
                return DoorResult(gate, False, str(exc) or exc.__class__.__name__)

        return list(await asyncio.gather(*(one(g) for g in gates)))

    async def emergency_open(self, community_id: int, person_id: int | None) -> EmergencyResult:
        """Open and hold every gate of the community (fail-safe for evacuation).

        The doors are commanded even when emergency mode was already on: pressing
        the button again must never be a no-op for a door that did not obey.
        """
        now = self.clock.now()

        def start(conn: Connection) -> tuple[bool, datetime]:
            current = conn.execute(
                select(_emergencies.c.started_at).where(
                    _emergencies.c.community_id == community_id, _emergencies.c.ended_at.is_(None)
                )
            ).scalar()
            if current is not None:
                return False, current
            conn.execute(
                insert(_emergencies).values(
                    community_id=community_id, started_at=now, started_by_person_id=person_id
                )
            )
            return True, now

        started, since = await self.runner.run(start)
        gates = await self._community_gates(community_id)
        doors = await self._command_all(gates, "hold_open")
        return EmergencyResult(started, since, doors)

    async def emergency_end(self, community_id: int, person_id: int | None) -> EmergencyResult:
        now = self.clock.now()

        def end(conn: Connection) -> bool:
            result = conn.execute(
                update(_emergencies)
                .where(
                    _emergencies.c.community_id == community_id, _emergencies.c.ended_at.is_(None)
                )
                .values(ended_at=now, ended_by_person_id=person_id)
            )
            return result.rowcount > 0

        ended = await self.runner.run(end)
        gates = await self._community_gates(community_id)
        doors = await self._command_all(gates, "restore")
        return EmergencyResult(ended, now if ended else None, doors)
