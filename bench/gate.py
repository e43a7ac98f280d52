"""Benchmark of the gate decision over real HTTP on loopback; prints one JSON line.

    uv run python bench/gate.py [--passes 100000] [--rate 1000] [--seconds 5]
                                [--concurrency 16] [--sequential 2000]
                                [--credential code|plate]

A fresh SQLite database holds ``--passes`` active single-use visitor passes (and
the rest of the schema, migrated). The gate API runs in its own process, as it
does in production; this process is the terminals. Every request presents a
different valid code, so every decision takes the full path: throttle check,
lookup, the conditional UPDATE that spends the use, the access-log row, the
commit, and the (simulated) door release.

Readings, each in the same run for the real API and for the baseline:

  sequential   one terminal, one request at a time
  concurrent   an open-loop load of ``--rate`` requests/s for ``--seconds`` s from
               many terminals at once: p50_ms / p99_ms are measured here, each
               request's latency from its scheduled arrival
  throughput   ``--concurrency`` terminals sending back to back: decisions_per_s

The terminals (``bench/_gate_terminals.py``) are a lean keep-alive HTTP/1.1 client
on asyncio's protocol API (requests encoded before the clock starts): aiohttp's client
cost ~0.5 ms of CPU per request on the two cores the server under test runs on; real
terminals are separate devices. The real API and the baseline are driven by the same
client.

With ``--credential plate`` the gates are vehicle gates and every request is a
different resident's registered plate read by a camera (``bench/_gate_plates.py``);
the baseline's SELECT is then the plate's look-up.

The baseline is a bare aiohttp endpoint doing one indexed SELECT (SQLAlchemy
async + aiosqlite, the stack the rest of the bot uses) on the same database,
served the same way from its own process.

Keys: p50_ms, p99_ms, decisions_per_s, baseline_p50_ms, baseline_p99_ms,
baseline_decisions_per_s, sequential_p50_ms, sequential_p99_ms,
baseline_sequential_p99_ms, granted (all requests must be granted), errors,
active_passes, rate, load_avg. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._gate_terminals import Terminals, closed_loop, open_loop, pct, sequential

SECRET = "bench-secret-key-not-for-production"
GATES = 4


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the database --------------------------------------------------------------------------


def prepare(
    db_path: Path, count: int, url: str | None = None, credential: str = "code"
) -> dict[str, Any]:
    """Migrate, then add a community, a resident, gates and ``count`` passes (or, for
    plates, ``count`` registered vehicles), in the SQLite file ``db_path`` or the
    database at ``url``."""
    from sqlalchemy import Connection, insert

    import bot.all_models  # noqa: F401
    from access.credentials import hash_api_key, new_api_key
    from access.models import Gate, GateThrottle
    from access.sync.keys import offline_key_hash
    from bench._capacity_procs import run_sync
    from core.migrate import upgrade_database
    from core.models import Building, Community, Person, Residency, Unit

    url = url or f"sqlite+aiosqlite:///{db_path}"
    upgrade_database(url)
    now = datetime.now(UTC)
    keys: list[str] = []

    def fill(conn: Connection) -> tuple[list[int], list[str]]:
        cid = conn.execute(
            insert(Community).values(name="Bench", address="", config={}, created_at=now)
        ).inserted_primary_key[0]
        bid = conn.execute(
            insert(Building).values(community_id=cid, name="1")
        ).inserted_primary_key[0]
        uid = conn.execute(
            insert(Unit).values(community_id=cid, building_id=bid, number="101", area_m2=0)
        ).inserted_primary_key[0]
        pid = conn.execute(
            insert(Person).values(full_name="Host", created_at=now, updated_at=now)
        ).inserted_primary_key[0]
        conn.execute(
            insert(Residency).values(
                person_id=pid, unit_id=uid, role="owner", status="active", created_at=now
            )
        )
        gate_ids = []
        for i in range(GATES):
            key = new_api_key()
            gid = conn.execute(
                insert(Gate).values(
                    community_id=cid,
                    name=f"Gate {i + 1}",
                    kind="vehicle" if credential == "plate" else "pedestrian",
                    driver="simulated",
                    driver_config={"pulse_ms": 500},
                    api_key_hash=hash_api_key(SECRET, key),
                    offline_key_hash=offline_key_hash(SECRET, cid, key),
                    active=True,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(insert(GateThrottle).values(gate_id=gid, consecutive_failures=0, level=0))
            gate_ids.append(gid)
            keys.append(key)
        if credential == "plate":
            from bench._gate_plates import add_vehicles

            return gate_ids, add_vehicles(
                conn, community_id=cid, unit_id=uid, person_id=pid, count=count, now=now
            )
        return gate_ids, _add_passes(conn, cid, uid, pid, count, now)

    gate_ids, ordered = run_sync(url, fill)
    return {"url": url, "codes": ordered, "gate_ids": gate_ids, "keys": keys}


def _add_passes(conn: Any, cid: int, uid: int, pid: int, count: int, now: datetime) -> list[str]:
    """``count`` active single-use visitor passes with distinct codes; returns the codes."""
    import secrets as _secrets

    from sqlalchemy import insert

    from access.credentials import hash_code, hash_token, new_token
    from access.models import Pass
    from access.sync.keys import offline_code_hash

    codes: set[str] = set()
    while len(codes) < count:
        codes.add(f"{_secrets.randbelow(10**8):08d}")
    ordered = sorted(codes, key=lambda _c: _secrets.randbelow(1 << 30))
    rows = []
    for code in ordered:
        rows.append(
            {
                "community_id": cid,
                "kind": "visitor",
                "status": "active",
                "host_person_id": pid,
                "host_unit_id": uid,
                "holder_name": "Visitor",
                "company": "",
                "purpose": "bench",
                "code_hash": hash_code(SECRET, code),
                "token_hash": hash_token(SECRET, new_token()),
                # For the gate agent (bench/gate_agent.py): the community's key.
                "offline_code_hash": offline_code_hash(SECRET, cid, code),
                "valid_from": now - timedelta(minutes=1),
                "valid_until": now + timedelta(days=1),
                "max_uses": 1,
                "uses_count": 0,
                "gate_ids": [],
                "inside": False,
                "created_at": now,
            }
        )
        if len(rows) == 5000:
            conn.execute(insert(Pass), rows)
            rows = []
    if rows:
        conn.execute(insert(Pass), rows)
    return ordered


# --- the two servers (child processes) --------------------------------------------------------


async def serve_real(url: str, port: int) -> None:
    from access.api import serve
    from access.service import AccessRuntime
    from core.heap import freeze_startup_heap

    runtime = AccessRuntime(database_url=url, secret_key=SECRET)
    runner = await serve(runtime, "127.0.0.1", port)
    freeze_startup_heap()  # as `courtyard gate-api` and `courtyard run` do once started
    await _until_signalled()
    await runner.cleanup()
    await runtime.close()


async def serve_baseline(url: str, port: int, credential: str = "code") -> None:
    """The bare endpoint: parse JSON, one indexed SELECT, answer JSON."""
    from aiohttp import web
    from sqlalchemy import text

    from access.credentials import hash_code
    from core.db import create_engine
    from core.heap import freeze_startup_heap

    engine = create_engine(url)
    # The index is (community_id, code_hash), as the real look-up uses it; without the
    # community this would be a full scan, not the indexed SELECT it claims to be.
    async with engine.connect() as conn:
        community_id = (await conn.execute(text("SELECT min(id) FROM communities"))).scalar()
    query = text("SELECT id, status FROM passes WHERE community_id = :c AND code_hash = :h")
    if credential == "plate":
        from bench._gate_plates import BASELINE_SQL

        query = text(BASELINE_SQL)
    # Queue for the connection pool here rather than time out in it.
    pool = asyncio.Semaphore(15)

    async def lookup(request: web.Request) -> web.Response:
        body = await request.json()
        async with pool, engine.connect() as conn:
            key = body["plate"] if credential == "plate" else hash_code(SECRET, body["code"])
            params = {"c": community_id, "h": key}
            row = (await conn.execute(query, params)).first()
        return web.json_response({"found": row is not None})

    app = web.Application()
    app.router.add_post("/v1/gates/{gate}/verify", lookup)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    freeze_startup_heap()  # the same process tuning as the real server
    await _until_signalled()
    await runner.cleanup()
    await engine.dispose()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def start_server(role: str, url: str, port: int, credential: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--role", role, "--url", url]
    command += ["--port", str(port), "--credential", credential]
    proc = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{role} server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


async def measure(
    port: int, info: dict[str, Any], codes: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    t = Terminals(port, info["gate_ids"], info["keys"], codes, args.credential)
    try:
        seq = await sequential(t, args.sequential)
        conc = await open_loop(t, args.rate, args.seconds)
        throughput = await closed_loop(t, args.concurrency, args.throughput_requests)
    finally:
        t.close()
    return {
        "seq_p50": pct(seq, 0.50),
        "seq_p99": pct(seq, 0.99),
        "p50": pct(conc, 0.50),
        "p99": pct(conc, 0.99),
        "rate_achieved": round(len(conc) / max(args.seconds, 1e-9)),
        "per_s": round(throughput),
        "granted": t.granted,
        "errors": t.errors,
        "requests": t.n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument("--throughput-requests", type=int, default=10_000)
    parser.add_argument("--credential", choices=["code", "plate"], default="code")
    parser.add_argument("--role", choices=["bench", "real", "baseline"], default="bench")
    parser.add_argument("--url")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()

    if args.role == "real":
        asyncio.run(serve_real(args.url, args.port))
        return
    if args.role == "baseline":
        asyncio.run(serve_baseline(args.url, args.port, args.credential))
        return

    load_before = os.getloadavg()[0]
    needed = 2 * (50 + args.sequential + int(args.rate * args.seconds) + args.throughput_requests)
    if needed > args.passes:
        parser.error(f"--passes must be at least {needed} for these readings")
    with tempfile.TemporaryDirectory(prefix="courtyard-bench-") as tmp:
        started = time.perf_counter()
        info = prepare(Path(tmp) / "bench.db", args.passes, credential=args.credential)
        log(f"prepared {args.passes} {args.credential}s in {time.perf_counter() - started:.1f}s")
        # The terminals' process holds 100,000 codes and keys: its own full garbage
        # collections (40-65 ms each, measured) would land in the latency readings as
        # if the server had been slow. The servers freeze their start-up heap too.
        gc.collect()
        gc.freeze()
        half = len(info["codes"]) // 2
        results = {}
        for role, codes in (("real", info["codes"][:half]), ("baseline", info["codes"][half:])):
            port = free_port()
            proc = start_server(role, info["url"], port, args.credential)
            try:
                results[role] = asyncio.run(measure(port, info, codes, args))
            finally:
                stop_server(proc)
            log(f"{role}: {results[role]}")
    real, base = results["real"], results["baseline"]
    print(
        json.dumps(
            {
                "p50_ms": real["p50"],
                "p99_ms": real["p99"],
                "decisions_per_s": real["per_s"],
                "baseline_p50_ms": base["p50"],
                "baseline_p99_ms": base["p99"],
                "baseline_decisions_per_s": base["per_s"],
                "sequential_p50_ms": real["seq_p50"],
                "sequential_p99_ms": real["seq_p99"],
                "baseline_sequential_p99_ms": base["seq_p99"],
                "rate": args.rate,
                "rate_achieved": real["rate_achieved"],
                "granted": real["granted"],
                "requests": real["requests"],
                "errors": real["errors"] + base["errors"],
                "active_passes": args.passes,
                "credential": args.credential,
                "database": "sqlite",
                "load_avg": round(max(load_before, os.getloadavg()[0]), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
