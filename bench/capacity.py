"""How large a community one box carries: the morning peak, then more; one JSON line.

    uv run python bench/capacity.py [--seconds 20] [--steps 0.25,0.5,1,2,4]
                                    [--no-faces | --faces-apart] [--face-workers N]
                                    [--database-url URL --redis-url URL]

The morning peak of a community of 20,000 households: 3,000 gate decisions a minute
(10 % by face, the rest codes), 500 chat updates a minute of the realistic mix
(``bench/updates.py``), and the scheduler running its jobs — all at once, on the
embedded default setup (one SQLite file shared by every process) or, with
``--database-url postgresql+asyncpg://…/DB --redis-url redis://…/N``, on PostgreSQL
(the ``public`` schema of DB is dropped and rebuilt: give it a database of its own)
with the conversations in Redis (keys under ``courtyard-capacity``). The processes are
the real ones, each its own OS process:

  gate API    ``courtyard gate-api`` (codes, faces, the simulated doors)
  scheduler   ``courtyard scheduler --no-migrate`` (Telegram: the emulator)
  chat        the real dispatcher, middlewares, handlers and database fed the mix
              in-process with Bot API calls answered locally (as bench/updates.py;
              the webhook's HTTP layer is not in this reading)

The terminals (``bench/_gate_terminals.py``) send codes — each a different valid
single-use pass, so every decision takes the full path — and 640x480 JPEG frames of
an enrolled resident among ``--face-residents`` enrolled templates, on a fixed
schedule (open loop: latency counts from each request's scheduled arrival).

``--face-workers`` is the gate API's ``COURTYARD_FACE_WORKERS`` (default 1: templates
in a worker process; 0: in the gate API itself, where the engine holds the GIL and code
decisions wait behind faces). ``--faces-apart`` gives the face terminals a gate API
process of their own. The gate API's CPU includes its face workers'.

Targets: p99 <= 50 ms for codes and chat, <= 300 ms for faces, nothing unanswered.
Each step multiplies the whole load (``--steps``, 1 = 20,000 households); the
largest step that met every target is the community the box carried
(``households_carried``; the run stops at the first miss unless ``--keep-going``).
``households_if_cpu_bound`` scales the CPU our processes used at the largest step
that answered everything to every core of the box: an upper bound, not a latency
measurement. CPU per process is in cores (CPU seconds per second, a process's
children included), memory in MB resident. Keys: ``steps`` (per step: load, p50/p99
per kind, unanswered, answered_all, cpu_cores, rss_mb), ``faces`` (measured or why
not), ``households_carried``, ``households_if_cpu_bound``, ``face_workers``,
``database``, ``load_avg``. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._capacity_procs import (
    Chat,
    courtyard,
    environment,
    reset_postgres,
    rss_mb,
    tree_cpu_seconds,
    wait_ready,
)
from bench._gate_terminals import Terminals, pct
from bench.gate import free_port, log

HOUSEHOLDS = 20_000
GATE_PER_MIN = 3_000
FACE_SHARE = 0.10
CHAT_PER_MIN = 500
TARGET_MS = {"code": 50.0, "chat": 50.0, "face": 300.0}
GRACE_S = 10.0


# --- the terminals -----------------------------------------------------------------------


def face_requests(port: int, gate_id: int, key: str, frame: bytes, count: int) -> list[bytes]:
    head = (
        f"POST /v1/gates/{gate_id}/verify HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\n"
        "Content-Type: image/jpeg\r\n"
        f"Content-Length: {len(frame)}\r\n\r\n"
    ).encode()
    return [head + frame] * count


async def scheduled(t: Terminals, requests: list[bytes], rate: float) -> tuple[list[float], int]:
    """Open loop at ``rate``/s; (latencies of the answered, how many got no answer)."""
    if not requests:
        return [], 0
    tasks = []
    start = time.perf_counter() + 0.05
    for i, data in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(t.one(data, since=due)))
    done, pending = await asyncio.wait(tasks, timeout=GRACE_S)
    for task in pending:
        task.cancel()
    answered = [task.result() for task in done if task.exception() is None]
    return answered, len(requests) - len(answered)


async def gate_load(
    ports: tuple[int, int],
    info: dict[str, Any],
    codes: list[str],
    face: bytes | None,
    load: dict[str, float],
) -> dict[str, Any]:
    """Codes to the first port, face frames to the second (the same port, or the face
    terminals' own gate API process with ``--faces-apart``)."""
    port, face_port = ports
    seconds = load["seconds"]
    code_t = Terminals(port, info["gate_ids"], info["keys"], codes)
    face_gate, face_key = info.get("face_gate", 0), info.get("face_key", "")
    face_t = Terminals(face_port, [face_gate], [face_key], [])
    code_n = int(load["code_per_s"] * seconds)
    face_n = int(load["face_per_s"] * seconds) if face is not None else 0
    code_reqs = code_t.encode(code_n)
    face_reqs = face_requests(face_port, face_gate, face_key, face or b"", face_n)
    await code_t.connect(16)
    if face_n:
        await face_t.connect(8)
    try:
        (code_ms, code_lost), (face_ms, face_lost) = await asyncio.gather(
            scheduled(code_t, code_reqs, load["code_per_s"]),
            scheduled(face_t, face_reqs, max(load["face_per_s"], 1e-9)),
        )
    finally:
        code_t.close()
        face_t.close()
    return {
        "code": (code_ms, code_lost + code_t.errors, code_n - code_t.granted),
        "face": (face_ms, face_lost + face_t.errors, face_n - face_t.granted),
    }


# --- one step ----------------------------------------------------------------------------


def summary(latencies: list[float], unanswered: int, target: float) -> dict[str, Any]:
    p99 = pct(latencies, 0.99) if latencies else None
    return {
        "n": len(latencies),
        "p50_ms": pct(latencies, 0.50) if latencies else None,
        "p99_ms": p99,
        "unanswered": unanswered,
        "met": bool(latencies) and unanswered == 0 and p99 is not None and p99 <= target,
    }


def run_step(
    factor: float,
    args: argparse.Namespace,
    procs: dict[str, int],
    chat: Chat,
    info: dict[str, Any],
    codes: list[str],
    face: bytes | None,
) -> dict[str, Any]:
    load = {
        "seconds": args.seconds,
        "code_per_s": factor * GATE_PER_MIN * (1 - FACE_SHARE) / 60,
        "face_per_s": factor * GATE_PER_MIN * FACE_SHARE / 60,
        "chat_per_s": factor * CHAT_PER_MIN / 60,
    }
    if face is None:  # no face engine: its share goes to codes, so the gate load is whole
        load["code_per_s"] += load["face_per_s"]
    cpu_before = {name: tree_cpu_seconds(pid) for name, pid in procs.items()}
    wall = time.perf_counter()
    chat.start(load["chat_per_s"], args.seconds)
    gate = asyncio.run(gate_load(args.gate_ports, info, codes, face, load))
    chatted = chat.result()
    wall = time.perf_counter() - wall
    cpu = {
        name: round((tree_cpu_seconds(pid) - cpu_before[name]) / wall, 2)
        for name, pid in procs.items()
    }
    kinds = {
        "code": summary(gate["code"][0], gate["code"][1], TARGET_MS["code"]),
        "chat": summary(
            chatted["latencies"],
            chatted["sent"] - len(chatted["latencies"]),
            TARGET_MS["chat"],
        ),
    }
    kinds["code"]["refused"] = gate["code"][2]  # every code is valid: must be 0
    if face is not None:
        kinds["face"] = summary(gate["face"][0], gate["face"][1], TARGET_MS["face"])
        kinds["face"]["refused"] = gate["face"][2]
    return {
        "factor": factor,
        "households": int(HOUSEHOLDS * factor),
        "gate_per_min": round(factor * GATE_PER_MIN),
        "chat_per_min": round(factor * CHAT_PER_MIN),
        **kinds,
        "cpu_cores": cpu,
        "rss_mb": {name: rss_mb(pid) for name, pid in procs.items()},
        "answered_all": all(k["unanswered"] == 0 for k in kinds.values()),
        "met": all(k["met"] for k in kinds.values()),
    }


# --- the whole run -----------------------------------------------------------------------


def prepare(
    tmp: Path, passes: int, face_residents: int, faces: bool, url: str | None
) -> dict[str, Any]:
    from bench import gate as gate_bench

    db = tmp / "capacity.db"
    if url:
        reset_postgres(url)
    url = url or f"sqlite+aiosqlite:///{db}"
    info: dict[str, Any] = {"url": url, "faces": "not measured"}
    if faces:
        try:
            from access.faces import DlibDeepFaceEngine, FaceSettings
            from bench import faces_gate

            engine = DlibDeepFaceEngine(FaceSettings(deepface_home=tmp / "faces"))
            engine.check_ready()
            face_info = faces_gate.prepare(db, face_residents, engine, url)
            info.update(face_gate=1, face_key=face_info["key"])
            info["frame"] = faces_gate.frame_640x480("obama_podium.jpg")
            info["faces"] = f"measured: {face_info['templates']} enrolled templates"
        except Exception as exc:  # no engine here: say so, carry the share as codes
            info["faces"] = f"not measured: face engine unavailable ({exc})"
    info.update(gate_bench.prepare(db, passes, url))
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--steps", default="0.25,0.5,1,1.5,2,3,4,6,8")
    parser.add_argument("--face-residents", type=int, default=5_000)
    parser.add_argument("--no-faces", action="store_true")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every step, even after a miss"
    )
    parser.add_argument(
        "--faces-apart",
        action="store_true",
        help="the face terminals talk to a gate API process of their own",
    )
    parser.add_argument("--face-workers", type=int, default=1, help="COURTYARD_FACE_WORKERS")
    parser.add_argument("--database-url", help="postgresql+asyncpg://… (default: SQLite)")
    parser.add_argument("--redis-url", help="conversations in Redis (with --database-url)")
    args = parser.parse_args()
    steps = [float(x) for x in args.steps.split(",")]
    load_before = os.getloadavg()[0]
    passes = int(sum(steps) * GATE_PER_MIN / 60 * args.seconds * 1.2) + 500
    with tempfile.TemporaryDirectory(prefix="courtyard-capacity-") as name:
        tmp = Path(name)
        started = time.perf_counter()
        info = prepare(tmp, passes, args.face_residents, not args.no_faces, args.database_url)
        log(f"prepared in {time.perf_counter() - started:.1f} s; faces {info['faces']}")
        face = info.get("frame")
        codes = info["codes"]
        gc.collect()
        gc.freeze()  # the terminals' own collections must not land in the readings
        result = run(args, tmp, info, codes, face, steps)
    result.update(
        faces=info["faces"],
        faces_apart=args.faces_apart,
        face_workers=args.face_workers,
        database="postgresql+redis"
        if args.redis_url
        else "postgresql"
        if args.database_url
        else "sqlite",
        load_avg=round(max(load_before, os.getloadavg()[0]), 2),
        cpus=os.cpu_count(),
    )
    print(json.dumps(result))


def run(
    args: argparse.Namespace,
    tmp: Path,
    info: dict[str, Any],
    codes: list[str],
    face: bytes | None,
    steps: list[float],
) -> dict[str, Any]:
    url = info["url"]
    shared = {"COURTYARD_FACE_WORKERS": str(args.face_workers)}
    if args.redis_url:
        shared.update(COURTYARD_FSM_STORAGE="redis", COURTYARD_REDIS_URL=args.redis_url)
    args.gate_ports = (free_port(), free_port()) if args.faces_apart else (free_port(),) * 2
    emulator_port, probes_port = free_port(), free_port()
    children: list[subprocess.Popen[bytes]] = []
    chat: Chat | None = None
    try:
        emulator = subprocess.Popen(
            [sys.executable, "-m", "bot.emulator", "--port", str(emulator_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # the one JSON line is ours
        )
        children.append(emulator)
        procs: dict[str, int] = {}
        names = ("gate_api", "gate_api_faces")
        for name, port in zip(names, dict.fromkeys(args.gate_ports), strict=False):
            gate_api = subprocess.Popen(
                courtyard("gate-api", "--host", "127.0.0.1", "--port", str(port)),
                cwd=tmp,
                env=environment(url, tmp, **shared),
            )
            children.append(gate_api)
            wait_ready(f"http://127.0.0.1:{port}/readyz", "the gate API", gate_api)
            procs[name if args.faces_apart else "gate_api"] = gate_api.pid
        scheduler = subprocess.Popen(
            courtyard("scheduler", "--no-migrate"),
            cwd=tmp,
            env=environment(
                url,
                tmp,
                COURTYARD_BOT_TOKEN="123456789:CAPACITY",
                COURTYARD_TELEGRAM_API=f"http://127.0.0.1:{emulator_port}",
                COURTYARD_METRICS_PORT=str(probes_port),
                **{**shared, "COURTYARD_FACE_WORKERS": "0"},  # as the deployment files
            ),
        )
        children.append(scheduler)
        wait_ready(f"http://127.0.0.1:{probes_port}/readyz", "the scheduler", scheduler)
        chat = Chat(url, tmp, args.redis_url)
        procs.update(scheduler=scheduler.pid, chat=chat.proc.pid)
        log("warming up …")
        warm = argparse.Namespace(**{**vars(args), "seconds": 3.0})
        run_step(0.5, warm, procs, chat, info, codes[:200], face)
        codes = codes[200:]
        results = []
        for factor in steps:
            used = int(factor * GATE_PER_MIN / 60 * args.seconds) + 1
            step = run_step(factor, args, procs, chat, info, codes[:used], face)
            codes = codes[used:]
            log(json.dumps(step))
            results.append(step)
            if not step["met"] and not args.keep_going:
                break
    finally:
        if chat is not None:
            chat.close()
        for proc in reversed(children):
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    carried = [s["households"] for s in results if s["met"]]
    # What the CPU alone would allow: the cores our processes used at the largest step
    # where every request was answered (at a step with a backlog they used less than the
    # work needed), scaled to every core of the box. Not a measurement of latency: on a
    # machine shared with other work the targets can break long before our CPU runs out.
    kinds = ("code", "chat", "face")
    whole = [s for s in results if all(s.get(k, {}).get("unanswered", 0) == 0 for k in kinds)]
    used = sum(whole[-1]["cpu_cores"].values()) if whole else 0
    by_cpu = int(whole[-1]["households"] * (os.cpu_count() or 1) / used) if used else None
    return {
        "bench": "capacity",
        "steps": results,
        "households_carried": max(carried) if carried else 0,
        "households_if_cpu_bound": by_cpu,
        "targets_ms": TARGET_MS,
        "seconds_per_step": args.seconds,
    }


if __name__ == "__main__":
    main()
