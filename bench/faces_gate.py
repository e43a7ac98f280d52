"""Benchmark of a face decision at the gate over real HTTP; prints one JSON line.

    uv run python bench/faces_gate.py [--residents 10000] [--rounds 15]

A fresh SQLite database holds one community with ``--residents`` enrolled residents
(synthetic templates with the spread of real Dlib templates, one each, encrypted as the
application stores them) and one real person, enrolled from two committed photos. The
gate API serves in this process on loopback; the terminal posts a 640x480 JPEG frame of
a *different* photo of that person (granted) or of a stranger (denied). Every request
takes the whole path: pre-check read, template (engine in a worker thread), 1:N search,
the decision transaction with its access-log row, the simulated door.

Keys:
  gate_face_ms          median HTTP round trip, enrolled resident, granted
  gate_face_denied_ms   median HTTP round trip, stranger, denied (no_match)
  template_ms           median engine time alone on the same frame (the bulk of it)
  index_build_s         decrypting and indexing every template of the community
                        (start-up, and a change made by another process)
  residents, templates, granted / denied (every request must be answered right),
  load_avg (1-minute, the larger of before and after). Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
IMAGES = ROOT / "tests" / "faces" / "images"
SECRET = "bench-secret-key-not-for-production"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def frame_640x480(name: str) -> bytes:
    img = Image.open(IMAGES / name).convert("RGB")
    img.thumbnail((640, 480), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(img, ((640 - img.width) // 2, (480 - img.height) // 2))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def prepare(db_path: Path, residents: int, engine: Any, url: str | None = None) -> dict[str, Any]:
    """Migrate; add the community, its residents, their consents and templates, a gate
    (in the SQLite file ``db_path``, or the database at ``url``)."""
    from sqlalchemy import Connection, insert, text

    import bot.all_models  # noqa: F401
    from access.credentials import hash_api_key, new_api_key
    from access.faces.crypto import encrypt_template
    from access.faces.models import (
        FaceConsent,
        FaceGateLiveness,
        FaceIndexVersion,
        FaceTemplate,
    )
    from access.faces.store import template_context
    from access.models import Gate, GateThrottle
    from bench._capacity_procs import run_sync
    from core.migrate import upgrade_database
    from core.models import Building, Community, Person, Residency, Unit

    url = url or f"sqlite+aiosqlite:///{db_path}"
    upgrade_database(url)
    real = [
        engine.analyze((IMAGES / n).read_bytes()).template
        for n in ("obama_portrait.jpg", "obama_east_room.jpg", "biden.jpg", "collins.jpg")
    ]
    like = np.stack([t for t in real if t is not None])
    rng = np.random.default_rng(1)
    mean, std = like.mean(axis=0), like.std(axis=0) + 1e-3
    synthetic = (mean + rng.normal(size=(residents, like.shape[1])) * std * 1.5).astype(np.float32)
    key = new_api_key()

    def fill(conn: Connection) -> int:
        conn.execute(insert(Community).values(id=1, name="Bench Garden", config={}))
        conn.execute(insert(Building).values(id=1, community_id=1, name="1"))
        units = max(1, residents // 100)
        conn.execute(
            insert(Unit),
            [
                {"id": u + 1, "community_id": 1, "building_id": 1, "number": str(u + 1)}
                for u in range(units)
            ],
        )
        total = residents + 1  # person 1 is the real resident
        conn.execute(
            insert(Person),
            [
                {"id": p, "full_name": f"R{p}", "created_at": NOW, "updated_at": NOW}
                for p in range(1, total + 1)
            ],
        )
        conn.execute(
            insert(Residency),
            [
                {
                    "id": p,
                    "person_id": p,
                    "unit_id": (p % units) + 1,
                    "role": "owner",
                    "status": "active",
                    "created_at": NOW,
                }
                for p in range(1, total + 1)
            ],
        )
        conn.execute(
            insert(FaceConsent),
            [
                {
                    "id": p,
                    "community_id": 1,
                    "subject_person_id": p,
                    "given_by_person_id": p,
                    "kind": "self",
                    "minor": False,
                    "text_version": "bench",
                    "text_sha256": "0" * 64,
                    "locale": "en",
                    "given_at": NOW,
                }
                for p in range(1, total + 1)
            ],
        )
        rows = []
        row_id = 0
        enrolled = [(1, real[0]), (1, real[1])] + [
            (p, synthetic[p - 2]) for p in range(2, total + 1)
        ]
        for person, vec in enrolled:
            row_id += 1
            blob = encrypt_template(vec, SECRET, context=template_context(row_id, person, 1))
            rows.append(
                {
                    "id": row_id,
                    "community_id": 1,
                    "person_id": person,
                    "consent_id": person,
                    "status": "active",
                    "model": "Dlib",
                    "blob": blob,
                    "created_at": NOW,
                }
            )
        for i in range(0, len(rows), 2000):
            conn.execute(insert(FaceTemplate), rows[i : i + 2000])
        conn.execute(insert(FaceIndexVersion).values(community_id=1, version=1, updated_at=NOW))
        conn.execute(
            insert(Gate).values(
                id=1,
                community_id=1,
                name="East",
                kind="pedestrian",
                driver="simulated",
                driver_config={"pulse_ms": 100},
                api_key_hash=hash_api_key(SECRET, key),
                active=True,
                created_at=NOW,
            )
        )
        conn.execute(insert(GateThrottle).values(gate_id=1, consecutive_failures=0, level=0))
        # The single-frame path is what is measured here: liveness off, chosen by the bench
        # (a challenge burst costs one template per frame, decision 0026).
        conn.execute(
            insert(FaceGateLiveness).values(
                gate_id=1, mode="off", capable_terminals=[], chosen_by="bench", chosen_at=NOW
            )
        )
        if conn.dialect.name == "postgresql":  # the rows above took explicit ids
            for model in (
                Community,
                Building,
                Unit,
                Person,
                Residency,
                FaceConsent,
                FaceTemplate,
                Gate,
            ):
                table = model.__tablename__
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        conn.execute(text("ANALYZE"))
        return len(rows)

    templates = run_sync(url, fill)
    return {"key": key, "templates": templates}


async def measure(db_path: Path, info: dict[str, Any], rounds: int, engine: Any) -> dict[str, Any]:
    import aiohttp

    from access.api import serve
    from access.faces import FaceSettings
    from access.faces.service import FaceService
    from access.service import AccessRuntime

    runtime = AccessRuntime(database_url=f"sqlite+aiosqlite:///{db_path}", secret_key=SECRET)
    runtime.faces = FaceService(
        runner=runtime.runner, secret_key=SECRET, settings=engine.settings, engine=engine
    )
    assert isinstance(engine.settings, FaceSettings)
    started = time.perf_counter()
    await runtime.faces.indexes.reload(1)
    index_build_s = time.perf_counter() - started
    runner = await serve(runtime, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1/gates/1/verify"
    headers = {"Authorization": f"Bearer {info['key']}", "Content-Type": "image/jpeg"}
    resident, stranger = frame_640x480("obama_podium.jpg"), frame_640x480("collins_crop.jpg")
    results: dict[str, list[float]] = {"granted": [], "denied": []}
    answers = {"granted": 0, "denied": 0}
    try:
        async with aiohttp.ClientSession() as http:
            # Granted and denied alternate, so the 5-failures hold never starts.
            for round_ in range(rounds + 1):
                for kind, frame in (("granted", resident), ("denied", stranger)):
                    t = time.perf_counter()
                    async with http.post(url, data=frame, headers=headers) as response:
                        body = await response.json()
                    elapsed = time.perf_counter() - t
                    ok = body.get("granted") is (kind == "granted")
                    if round_ > 0:  # the first round warms everything up
                        results[kind].append(elapsed)
                        answers[kind] += int(ok)
                    elif not ok:
                        log(f"unexpected answer: {body}")
        template = []
        for _ in range(rounds):
            t = time.perf_counter()
            await asyncio.to_thread(engine.analyze, resident)
            template.append(time.perf_counter() - t)
    finally:
        await runner.cleanup()
        await runtime.close()
    return {
        "gate_face_ms": median_ms(results["granted"]),
        "gate_face_denied_ms": median_ms(results["denied"]),
        "template_ms": median_ms(template),
        "index_build_s": round(index_build_s, 3),
        "granted": f"{answers['granted']}/{rounds}",
        "denied": f"{answers['denied']}/{rounds}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    from access.faces import DlibDeepFaceEngine, FaceSettings

    with tempfile.TemporaryDirectory() as tmp:
        engine = DlibDeepFaceEngine(FaceSettings(deepface_home=Path(tmp) / "home"))
        engine.check_ready()
        db_path = Path(tmp) / "bench.db"
        log(f"preparing {args.residents} enrolled residents …")
        info = prepare(db_path, args.residents, engine)
        log("measuring …")
        result = asyncio.run(measure(db_path, info, args.rounds, engine))
    result.update(
        residents=args.residents + 1,
        templates=info["templates"],
        load_avg=round(max(load_before, os.getloadavg()[0]), 2),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
