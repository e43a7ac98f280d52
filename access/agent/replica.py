"""The agent's replica: its gates and their passes, in a SQLite file of its own.

What would help someone holding a copy of the file is sealed with keys derived from
the agent's own secret (itself derived by the server from the deployment's secret key
and the agent's id, :mod:`access.sync.keys`; the box never holds the deployment's
key): a pass's code and QR hashes are stored only as keyed lookups,
its holder, host, gates and hours as an AES-GCM box bound to the pass id; a gate's
terminal-key hash and driver settings (door secrets sealed by the server with the
agent's secret) as a box bound to the gate id; a resident's gate QR as a keyed lookup, its person,
unit and name sealed; the community's credential key (which the code hashes are
keyed with) sealed in ``meta``. In clear: ids, status, window, uses — what the one
conditional UPDATE needs. A replica sealed under another secret (the agent's secret
was rotated) is emptied, outbox kept, and taken again from the server.

Tables: ``meta`` (version, last good sync, credential key), ``gates``, ``passes``,
``residents``, the plates and daily-help households (:mod:`access.agent.plates`),
``outbox`` (decisions made offline, each with its idempotency key,
until the server has them),
``rejected`` (outbox records the server refused, set aside for the operator) and
``gate_throttle`` (the keypad's guess budget while offline).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine

from access.agent import plates
from access.gates import GateInfo
from access.keys import derive_key
from access.sqlite_engine import create_sqlite_engine
from access.store import PassRow, ResidentKeyRow
from access.store_sqlite import sqlite_time
from access.sync.keys import open_from_server

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gates (id INTEGER PRIMARY KEY, box BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS passes (id INTEGER PRIMARY KEY, code_key TEXT, "
    "token_key TEXT, status TEXT NOT NULL, valid_from TEXT NOT NULL, "
    "valid_until TEXT NOT NULL, max_uses INTEGER, uses_count INTEGER NOT NULL, "
    "inside INTEGER NOT NULL, box BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_passes_code ON passes (code_key)",
    "CREATE INDEX IF NOT EXISTS ix_passes_token ON passes (token_key)",
    "CREATE TABLE IF NOT EXISTS residents (id INTEGER PRIMARY KEY, token_key TEXT NOT NULL, "
    "until TEXT, box BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_residents_token ON residents (token_key)",
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "key TEXT NOT NULL UNIQUE, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rejected (key TEXT PRIMARY KEY, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gate_throttle (gate_id INTEGER PRIMARY KEY, "
    "consecutive_failures INTEGER NOT NULL DEFAULT 0, guess_tat DATETIME, "
    "level INTEGER NOT NULL DEFAULT 0, locked_until DATETIME, updated_at DATETIME)",
)
_SEALED_PASS = (
    "community_id",
    "kind",
    "host_person_id",
    "host_unit_id",
    "holder_name",
    "gate_ids",
    "daily_start_min",
    "daily_end_min",
    "weekdays",
)
PASS_COLUMNS = "id, status, valid_from, valid_until, max_uses, uses_count, inside, box"  # noqa: S105


class Sealer:
    """The replica's keys: lookups (HMAC) and boxes (AES-GCM), one agent's own."""

    def __init__(self, agent_secret: str, agent_id: int) -> None:
        label = f"courtyard/access/agent/{agent_id}".encode()
        self._lookup = derive_key(agent_secret, label + b"/lookup/v1")
        self._box = AESGCM(derive_key(agent_secret, label + b"/replica-key/v1"))

    def lookup(self, server_hash: str | None) -> str | None:
        if not server_hash:
            return None
        return hmac.new(self._lookup, server_hash.encode(), hashlib.sha256).hexdigest()

    def seal(self, what: str, body: dict[str, Any]) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._box.encrypt(nonce, json.dumps(body).encode(), what.encode())

    def open(self, what: str, blob: bytes) -> dict[str, Any]:
        return dict(json.loads(self._box.decrypt(blob[:12], blob[12:], what.encode())))


def _time(value: str) -> datetime:
    from access.store_sqlite import _parse_time

    parsed = _parse_time(value)
    assert parsed is not None
    return parsed


def gate_info(body: dict[str, Any], emergency: bool) -> GateInfo:
    return GateInfo(
        id=body["id"],
        community_id=body["community_id"],
        name=body["name"],
        kind=body["kind"],
        driver=body["driver"],
        driver_config=dict(body["driver_config"] or {}),
        api_key_hash=body["api_key_hash"],
        active=bool(body["active"]),
        timezone=body["timezone"],
        community_name=body["community_name"],
        emergency=emergency or bool(body["emergency"]),
        direction=body["direction"],
    )


class Replica:
    def __init__(self, path: Path, agent_secret: str, agent_id: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_sqlite_engine(f"sqlite:///{path}", busy_ms=5000)
        self.agent_secret = agent_secret
        self.sealer = Sealer(agent_secret, agent_id)
        self.conn: Connection = self.engine.connect()
        raw = self.raw
        for statement in (*_SCHEMA, *plates.SCHEMA):
            raw.execute(statement)
        self.gates: dict[int, dict[str, Any]] = {}
        self.credential_key = ""
        try:
            self._load_gates()
        except InvalidTag:
            self._forget()

    def _forget(self) -> None:
        """Sealed under another secret: drop all but the outbox; a snapshot follows."""
        raw = self.raw
        for table in ("gates", "passes", "residents", "meta", *plates.TABLES):
            raw.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed names
        self.gates = {}
        self.credential_key = ""

    @property
    def raw(self) -> Any:
        return self.conn.connection.dbapi_connection

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()

    # --- meta -----------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.raw.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.raw.execute(
            "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
            (key, value),
        )

    # --- reading --------------------------------------------------------------------

    def _load_gates(self) -> None:
        self.gates = {
            gid: self.sealer.open(f"gate:{gid}", box)
            for gid, box in self.raw.execute("SELECT id, box FROM gates").fetchall()
        }
        sealed = self.meta("credential_key")
        self.credential_key = ""
        if sealed is not None:
            box = self.sealer.open("credential_key", bytes.fromhex(sealed))
            self.credential_key = str(box["key"])

    def resident_key(self, token_key: str, today: str) -> ResidentKeyRow | None:
        row = self.raw.execute(
            "SELECT id, until, box FROM residents WHERE token_key = ?", (token_key,)
        ).fetchone()
        if row is None:
            return None
        sealed = self.sealer.open(f"resident:{row[0]}", row[2])
        return ResidentKeyRow(
            id=row[0],
            community_id=sealed["community_id"],
            person_id=sealed["person_id"],
            unit_id=sealed["unit_id"],
            holder_name=sealed["holder_name"],
            # A lease that ended while the server was away ends the key here too.
            revoked=row[1] is not None and row[1] < today,
        )

    def pass_row(self, row: tuple[Any, ...]) -> PassRow:
        sealed = self.sealer.open(f"pass:{row[0]}", row[7])
        return PassRow(
            id=row[0],
            community_id=sealed["community_id"],
            kind=sealed["kind"],
            status=row[1],
            host_person_id=sealed["host_person_id"],
            host_unit_id=sealed["host_unit_id"],
            holder_name=sealed["holder_name"] or "",
            valid_from=_time(row[2]),
            valid_until=_time(row[3]),
            max_uses=row[4],
            uses_count=row[5],
            gate_ids=list(sealed["gate_ids"] or []),
            daily_start_min=sealed["daily_start_min"],
            daily_end_min=sealed["daily_end_min"],
            weekdays=sealed["weekdays"],
            inside=bool(row[6]),
        )

    def size(self) -> int:
        return int(self.raw.execute("SELECT count(*) FROM passes").fetchone()[0])

    def queued(self) -> int:
        return int(self.raw.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def version(self) -> int | None:
        value = self.meta("version")
        return int(value) if value is not None else None

    # --- applying the server's answer (one transaction) -----------------------------

    def apply(self, body: dict[str, Any]) -> bool:
        """Take the server's answer; False (nothing changed) while decisions made here
        wait in the outbox — the server's use counts do not include them yet."""
        raw = self.raw
        raw.execute("BEGIN IMMEDIATE")
        try:
            if raw.execute("SELECT 1 FROM outbox LIMIT 1").fetchone() is not None:
                raw.execute("ROLLBACK")
                return False
            raw.execute("DELETE FROM gates")
            for gate in body["gates"]:
                raw.execute(
                    "INSERT INTO gates (id, box) VALUES (?, ?)",
                    (gate["id"], self.sealer.seal(f"gate:{gate['id']}", gate)),
                )
                raw.execute(
                    "INSERT OR IGNORE INTO gate_throttle (gate_id) VALUES (?)", (gate["id"],)
                )
            if body["full"]:
                raw.execute("DELETE FROM passes")
                raw.execute("DELETE FROM residents")
                raw.execute("DELETE FROM pass_plates")
            self._apply_residents(body)
            plates.apply_plates(raw, int(body["community_id"]), body)
            for p in body["passes"]:
                plates.set_pass_plate(raw, p["id"], p.get("car_plate"))
                if p.get("gone"):
                    raw.execute("DELETE FROM passes WHERE id = ?", (p["id"],))
                    continue
                self._upsert_pass(p)
            self.set_meta("version", str(int(body["version"])))
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        self._load_gates()
        return True

    def _apply_residents(self, body: dict[str, Any]) -> None:
        opened = open_from_server(self.agent_secret, body["sealed"])
        sealed = self.sealer.seal("credential_key", {"key": opened["credential_key"]})
        self.set_meta("credential_key", sealed.hex())
        for r in body.get("residents", []):
            self.raw.execute("DELETE FROM residents WHERE id = ?", (r["id"],))
            if r.get("gone") or not r.get("token_hash"):
                continue
            box = {"community_id": body["community_id"]}
            box.update({k: r[k] for k in ("person_id", "unit_id", "holder_name")})
            self.raw.execute(
                "INSERT INTO residents (id, token_key, until, box) VALUES (?, ?, ?, ?)",
                (
                    r["id"],
                    self.sealer.lookup(r["token_hash"]),
                    r.get("until"),
                    self.sealer.seal(f"resident:{r['id']}", box),
                ),
            )

    def _upsert_pass(self, p: dict[str, Any]) -> None:
        box = self.sealer.seal(f"pass:{p['id']}", {k: p[k] for k in _SEALED_PASS})
        self.raw.execute(
            "INSERT OR REPLACE INTO passes (id, code_key, token_key, status, valid_from, "
            "valid_until, max_uses, uses_count, inside, box) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                p["id"],
                self.sealer.lookup(p.get("code_hash")),
                self.sealer.lookup(p.get("token_hash")),
                p["status"],
                sqlite_time(datetime.fromisoformat(p["valid_from"])),
                sqlite_time(datetime.fromisoformat(p["valid_until"])),
                p["max_uses"],
                p["uses_count"],
                int(bool(p["inside"])),
                box,
            ),
        )

    # --- the outbox -------------------------------------------------------------------

    def pending(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        rows = self.raw.execute(
            "SELECT key, body FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [(key, json.loads(body)) for key, body in rows]

    def reject(self, key: str) -> None:
        """Set an outbox record the server refuses aside (kept for the operator)."""
        raw = self.raw
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.execute(
                "INSERT OR REPLACE INTO rejected (key, body) "
                "SELECT key, body FROM outbox WHERE key = ?",
                (key,),
            )
            raw.execute("DELETE FROM outbox WHERE key = ?", (key,))
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise

    def rejected(self) -> int:
        return int(self.raw.execute("SELECT count(*) FROM rejected").fetchone()[0])

    def acknowledge(self, keys: list[str]) -> None:
        if not keys:
            return
        raw = self.raw
        raw.execute("BEGIN IMMEDIATE")
        try:
            raw.executemany("DELETE FROM outbox WHERE key = ?", [(k,) for k in keys])
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
