"""The agent at run time: online first, local on failure, and the sync loop.

- **verify**: while the server is reachable, the terminal's request is forwarded
  as it came and the server's answer returned, within a time budget (300 ms by
  default). A timeout, a refused connection or a 5xx marks the server offline and
  the agent decides from its replica at once; so do all requests until the next
  good sync (no terminal waits for a dead server twice).
- **sync loop**, every ``sync_interval_s``: first upload the outbox (batches, each
  decision with its idempotency key; the server acknowledges recorded and
  duplicate keys alike, and only then are they deleted here), then — only once the
  outbox is empty, so the server's use counts include every local use — pull the
  changes since the replica's version (a snapshot when it has none).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.exceptions import InvalidTag

from access.agent.replica import Replica, gate_info
from access.agent.store import OfflinePolicy, ReplicaStore, decide_offline
from access.decision import (
    AccessPolicy,
    Credential,
    Decision,
    DecisionInput,
    Direction,
    DoorOutcome,
    Reason,
)
from access.doors import DoorError, DoorRegistry
from access.doors.sealing import open_driver_config
from access.gates import GateInfo
from access.sync.models import OfflineSingleUse
from core.clock import Clock, SystemClock

log = logging.getLogger(__name__)
UPLOAD_BATCH = 200
# Offline, windows are judged by the box's clock; more skew than this is logged.
CLOCK_SKEW_WARN_S = 30


@dataclass(frozen=True)
class AgentConfig:
    server_url: str
    agent_id: int
    agent_key: str
    # The agent's own secret (gs_…, access.sync.keys) — never the deployment's key.
    agent_secret: str
    data_dir: Path
    budget_s: float = 0.3
    sync_interval_s: float = 5.0
    server_timeout_s: float = 10.0


@dataclass(frozen=True)
class Forwarded:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


class ServerAway(Exception):
    """The server did not answer usefully (timeout, refused, 5xx)."""


class Refused(Exception):
    """The server answered that a request is wrong (400/403): sending it again won't do."""


class GateAgent:
    def __init__(self, config: AgentConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.replica = Replica(
            config.data_dir / "replica.sqlite3", config.agent_secret, config.agent_id
        )
        self.policy = AccessPolicy()
        self.doors = DoorRegistry(lambda c: open_driver_config(c, config.agent_secret))
        self.online = False
        self.fire_alarm = False
        self._http: aiohttp.ClientSession | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self._last_key = ""
        self.clock_skew_s: float | None = None

    # --- life cycle -----------------------------------------------------------------

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(base_url=self.config.server_url.rstrip("/") + "/")
        self._loop_task = asyncio.get_running_loop().create_task(self._sync_loop())

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        await self.doors.close()
        self.replica.close()

    # --- the server ---------------------------------------------------------------------

    def _agent_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.agent_key}"}

    async def forward(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> Forwarded:
        """The terminal's request, sent on to the server within the time budget."""
        if not self.online or self._http is None:
            raise ServerAway("offline")
        timeout = aiohttp.ClientTimeout(total=self.config.budget_s)
        try:
            async with self._http.request(
                method, path.lstrip("/"), data=body, headers=headers, timeout=timeout
            ) as response:
                data = await response.read()
                if response.status >= 500:
                    raise ServerAway(f"server answered {response.status}")
                kept = {k: v for k, v in response.headers.items() if k == "Retry-After"}
                return Forwarded(response.status, data, response.content_type, kept)
        except (aiohttp.ClientError, TimeoutError, ServerAway) as exc:
            if self.online:
                log.warning(
                    "gate agent: server away, deciding locally", extra={"fields": {"why": str(exc)}}
                )
            self.online = False
            raise ServerAway(str(exc)) from exc

    async def _request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        assert self._http is not None
        timeout = aiohttp.ClientTimeout(
            total=self.config.server_timeout_s + int(self.config.sync_interval_s)
        )
        async with self._http.request(
            method, path, headers=self._agent_headers(), timeout=timeout, **kwargs
        ) as response:
            if response.status >= 500:
                raise ServerAway(f"server answered {response.status}")
            if response.status in (400, 403):
                raise Refused(await response.text())
            if response.status != 200:
                text = await response.text()
                raise ServerAway(f"server refused: {response.status} {text[:200]}")
            return await response.json()

    async def _send(self, batch: list[tuple[str, dict[str, Any]]]) -> list[str]:
        answer = await self._request_json(
            "POST",
            f"v1/agents/{self.config.agent_id}/decisions",
            json={"decisions": [body for _, body in batch]},
        )
        return list(answer.get("recorded", [])) + list(answer.get("duplicates", []))

    async def upload(self) -> int:
        """Send the outbox until it is empty; returns how many the server acknowledged.

        A batch the server refuses (400/403: e.g. a gate no longer the agent's) is sent
        again one by one; what it still refuses is set aside (``rejected``, in the
        health answer and the log) rather than blocking every later decision."""
        sent = 0
        while batch := self.replica.pending(UPLOAD_BATCH):
            try:
                done = await self._send(batch)
            except Refused:
                done = []
                for item in batch:
                    try:
                        done += await self._send([item])
                    except Refused as exc:
                        log.error(
                            "gate agent: the server refused an offline record; set aside",
                            extra={"fields": {"key": item[0], "why": str(exc)[:200]}},
                        )
                        self.replica.reject(item[0])
            self.replica.acknowledge(done)
            sent += len(done)
            if not done and self.replica.pending(1) == batch[:1]:
                break
        return sent

    async def pull(self, wait_s: int = 0) -> bool:
        """The changes since the replica's version; with ``wait_s`` the server answers
        as soon as a pass changes, or after that long (its push)."""
        version = self.replica.version()
        query = "" if version is None else f"?since={version}&wait={wait_s}"
        body = await self._request_json("GET", f"v1/agents/{self.config.agent_id}/sync{query}")
        self._check_clock(body.get("server_time"))
        return self.replica.apply(body)

    def _check_clock(self, server_time: Any) -> None:
        """Offline, windows are judged by this box's clock: say when it is off."""
        try:
            skew = (self.clock.now() - datetime.fromisoformat(str(server_time))).total_seconds()
        except ValueError:
            return
        self.clock_skew_s = round(skew, 1)
        if abs(skew) > CLOCK_SKEW_WARN_S:
            log.warning(
                "gate agent: this box's clock is off", extra={"fields": {"skew_s": round(skew)}}
            )

    async def sync_once(self, wait_s: int = 0) -> None:
        await self.upload()
        if not await self.pull(wait_s):
            # A decision was made here after the upload: upload it first, next round.
            raise ServerAway("decisions made meanwhile wait for the next upload")
        self.replica.set_meta("last_sync_at", self.clock.now().isoformat())
        if not self.online:
            log.info("gate agent: server back, replica in sync")
        self.online = True
        self._synced.set()

    async def _sync_loop(self) -> None:
        while True:
            # Online, the long poll is the interval (changes arrive as they happen);
            # offline, retry every interval.
            wait_s = int(self.config.sync_interval_s) if self.online else 0
            try:
                await self.sync_once(wait_s)
                if wait_s:
                    continue
            except (aiohttp.ClientError, TimeoutError, ServerAway, ValueError) as exc:
                if self.online:
                    log.warning("gate agent: sync failed", extra={"fields": {"why": str(exc)}})
                self.online = False
            except InvalidTag:
                log.error(
                    "gate agent: what the server sends does not open with this agent's "
                    "secret (was it rotated?); restart the agent with its current secret"
                )
                self.online = False
            except Exception:
                log.exception("gate agent: sync failed unexpectedly")
                self.online = False
            await asyncio.sleep(self.config.sync_interval_s)

    # --- local decisions -----------------------------------------------------------------

    def gate(self, gate_id: int) -> GateInfo | None:
        body = self.replica.gates.get(gate_id)
        return gate_info(body, self.fire_alarm) if body is not None else None

    def offline_for_s(self) -> float:
        last = self.replica.meta("last_sync_at")
        if last is None:
            return float("inf")
        return (self.clock.now() - datetime.fromisoformat(last)).total_seconds()

    def decide_locally(
        self, gate: GateInfo, credential: Credential, direction: Direction, terminal: str | None
    ) -> Decision:
        body = self.replica.gates[gate.id]
        policy = OfflinePolicy(
            single_use=OfflineSingleUse(body.get("offline_single_use", "consume")),
            max_offline_s=float(body.get("offline_max_min", 240)) * 60,
            offline_for_s=self.offline_for_s(),
        )
        inp = DecisionInput(
            gate=gate,
            credential=credential,
            direction=direction,
            terminal=terminal,
            now=self.clock.now().astimezone(UTC),
            # Codes and QR tokens are hashed, offline, with the community's key.
            secret_key=self.replica.credential_key,
            policy=self.policy,
        )
        store = ReplicaStore(self.replica)
        with self.replica.conn.begin():
            decision = decide_offline(store, inp, policy)
        self._last_key = store.last_key
        return decision

    def _door_failed(
        self, gate: GateInfo, decision: Decision, terminal: str | None, error: str
    ) -> None:
        """Nobody went through: the use is given back and a follow-up row queued."""
        store = ReplicaStore(self.replica)
        with self.replica.conn.begin():
            if decision.pass_id is not None and decision.direction == Direction.IN:
                store.refund(decision.pass_id)
            store.insert_log(
                {
                    "at": decision.at,
                    "gate_id": gate.id,
                    "method": decision.method.value,
                    "direction": decision.direction.value,
                    "granted": True,
                    "reason": Reason.DOOR_FAILED.value,
                    "pass_id": decision.pass_id,
                    "holder_name": decision.holder_name,
                    "terminal": terminal,
                    "ref_key": self._last_key,
                    "error": error[:200],
                }
            )

    def queue_event(
        self, gate: GateInfo, event_type: str, details: str, terminal: str | None
    ) -> int:
        body = {
            "gate_id": gate.id,
            "at": self.clock.now().isoformat(),
            "type": event_type,
            "details": details,
            "terminal": terminal,
        }
        with self.replica.conn.begin():
            return ReplicaStore(self.replica).queue_event(body)

    async def verify_locally(
        self, gate: GateInfo, credential: Credential, direction: Direction, terminal: str | None
    ) -> Decision:
        started = time.perf_counter()
        decision = self.decide_locally(gate, credential, direction, terminal)
        key = self._last_key
        log.info(
            "gate agent: decided offline",
            extra={
                "fields": {
                    "gate": gate.id,
                    "granted": decision.granted,
                    "reason": decision.reason.value,
                    "ms": round((time.perf_counter() - started) * 1000, 3),
                }
            },
        )
        if not decision.granted or decision.door != DoorOutcome.NOT_COMMANDED:
            return decision
        try:
            driver = self.doors.get(gate.id, gate.driver, gate.driver_config)
            await driver.release(reason=f"agent:{decision.log_id}")
        except (DoorError, ValueError) as exc:
            error = str(exc) or exc.__class__.__name__
            log.error(
                "gate agent: door failed", extra={"fields": {"gate": gate.id, "error": error}}
            )
            self._last_key = key
            self._door_failed(gate, decision, terminal, error)
            return decision.with_door(DoorOutcome.FAILED)
        return decision.with_door(DoorOutcome.RELEASED)

    async def set_fire_alarm(self, active: bool) -> list[tuple[int, bool]]:
        """The fire-alarm input: hold every gate of the agent open (or restore them)."""
        self.fire_alarm = active
        results = []
        for gate_id in list(self.replica.gates):
            gate = self.gate(gate_id)
            if gate is None:
                continue
            try:
                driver = self.doors.get(gate.id, gate.driver, gate.driver_config)
                await (driver.hold_open() if active else driver.restore())
                results.append((gate_id, True))
            except (DoorError, ValueError):
                results.append((gate_id, False))
        return results
