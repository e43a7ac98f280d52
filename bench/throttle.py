"""The keypad's guessing protection, measured against a guesser and a vandal.

Runs the real decision (:func:`access.verification.decide`) on a migrated SQLite
database, with a simulated clock, and prints one JSON line:

- **guesser**: someone at the keypad for ``--days`` who enters a wrong code every
  ``--every`` seconds and, whenever it helps, the valid multi-use code they hold
  (the laundering attack). ``evaluated_per_hour`` is the wrong codes the gate judged;
  ``p_hit_year`` is the chance that a year of this finds one of ``--active`` codes
  (8 digits). The baseline in the same run is the same guesser without the valid
  code (the policy's plain rate).
- **vandal**: someone who enters five wrong codes at once and then one whenever the
  keypad takes codes again, for the whole run, while ``--visitors`` visitors a day
  arrive at random times with their right code. ``opened`` is the share let in by
  their code alone, ``rung`` the share whose host was asked (one tap from the chat),
  ``stranded`` the share with neither (their code met the keypad within the
  2-minute ring interval of another visitor of the same pass; none here).

    uv run python -m bench.throttle [--days 3] [--every 30] [--visitors 40]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

SECRET = "bench-throttle-secret"


def _world(db: Path) -> tuple[Any, dict[str, int], list[int]]:
    from sqlalchemy import create_engine, insert

    import bot.all_models  # noqa: F401
    from access.models import Gate, GateThrottle
    from core.db import _json_dumps
    from core.migrate import upgrade_database
    from core.models import Building, Community, Person, Residency, Unit

    upgrade_database(f"sqlite+aiosqlite:///{db}")
    engine = create_engine(f"sqlite:///{db}", json_serializer=_json_dumps)
    now = datetime.now(UTC)
    with engine.begin() as conn:

        def add(table: Any, **values: Any) -> int:
            return int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])

        cid = add(Community, name="Bench", address="", config={}, created_at=now)
        bid = add(Building, community_id=cid, name="1")
        uid = add(Unit, community_id=cid, building_id=bid, number="101", area_m2=0)
        pid = add(Person, full_name="Host", created_at=now, updated_at=now)
        add(Residency, person_id=pid, unit_id=uid, role="owner", status="active", created_at=now)
        gates = []
        for name in ("guessed", "vandalised"):
            gid = add(
                Gate,
                community_id=cid,
                name=name,
                kind="pedestrian",
                driver="simulated",
                driver_config={},
                api_key_hash="-",
                active=True,
                created_at=now,
            )
            conn.execute(insert(GateThrottle).values(gate_id=gid, consecutive_failures=0, level=0))
            gates.append(gid)
    return engine, {"community_id": cid, "host_person_id": pid, "host_unit_id": uid}, gates


def _pass(engine: Any, host: dict[str, int], start: datetime, days: int) -> str:
    from sqlalchemy import insert

    from access.credentials import hash_code, hash_token, new_code, new_token
    from access.models import Pass

    code = new_code()
    with engine.begin() as conn:
        conn.execute(
            insert(Pass).values(
                **host,
                kind="visitor",
                status="active",
                holder_name="Visitor",
                company="",
                purpose="bench",
                code_hash=hash_code(SECRET, code),
                token_hash=hash_token(SECRET, new_token()),
                valid_from=start - timedelta(minutes=1),
                valid_until=start + timedelta(days=days + 1),
                max_uses=None,
                uses_count=0,
                gate_ids=[],
                inside=False,
                created_at=start,
            )
        )
    return code


def _decider(engine: Any) -> Any:
    from access.decision import AccessPolicy, Credential, DecisionInput, Direction
    from access.gates import load_gate_sync
    from access.verification import decide_tx

    policy = AccessPolicy()

    def decide(gate_id: int, code: str, now: datetime) -> Any:
        with engine.begin() as conn:
            gate = load_gate_sync(conn, gate_id)
            assert gate is not None
            inp = DecisionInput(
                gate, Credential.code(code), Direction.IN, None, now, SECRET, policy
            )
            return decide_tx(conn, inp)

    return decide


def guesser(decide: Any, gate_id: int, valid: str | None, start: datetime, args: Any) -> float:
    rng = random.Random(7)
    now, evaluated = start, 0
    end = start + timedelta(days=args.days)
    while now < end:
        d = decide(gate_id, f"{rng.randrange(10**8):08d}", now)
        if d.reason.value == "unknown":
            evaluated += 1
            if valid is not None:
                decide(gate_id, valid, now)
        now += timedelta(seconds=args.every)
    return evaluated / (args.days * 24)


def vandal(decide: Any, gate_id: int, codes: list[str], start: datetime, args: Any) -> dict:
    rng = random.Random(11)
    horizon = args.days * 86400
    arrivals = sorted(rng.uniform(0, horizon) for _ in range(args.visitors * args.days))
    outcomes = {"opened": 0, "rung": 0, "stranded": 0}
    locked_until = start
    t = 0.0
    for arrival in arrivals:
        # The vandal keeps the keypad locked: a wrong code whenever it takes one.
        while t <= arrival:
            now = start + timedelta(seconds=t)
            if now >= locked_until:
                d = decide(gate_id, "00000000", now)
                if d.lockout is not None:
                    locked_until = d.lockout.until
            t += args.every
        d = decide(gate_id, rng.choice(codes), start + timedelta(seconds=arrival))
        key = "opened" if d.granted else ("rung" if d.ring is not None else "stranded")
        outcomes[key] += 1
    total = max(1, sum(outcomes.values()))
    return {k: round(v / total, 3) for k, v in outcomes.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--every", type=int, default=30, help="seconds between attempts")
    parser.add_argument("--visitors", type=int, default=40, help="visitors a day")
    parser.add_argument("--active", type=int, default=200, help="active codes (for p_hit_year)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine, host, (guessed, vandalised) = _world(Path(folder) / "bench.db")
        start = datetime.combine(date(2026, 12, 1), datetime.min.time(), UTC)
        valid = _pass(engine, host, start, args.days)
        visitor_codes = [_pass(engine, host, start, args.days) for _ in range(50)]
        decide = _decider(engine)
        laundering = guesser(decide, guessed, valid, start, args)
        from access.throttle import reset

        with engine.begin() as conn:
            reset(conn, guessed, start)
        plain = guesser(decide, guessed, None, start, args)
        outcome = vandal(decide, vandalised, visitor_codes, start, args)
        engine.dispose()

    def p_year(rate: float) -> float:
        return round(1 - (1 - args.active / 10**8) ** (rate * 24 * 365), 4)

    print(
        json.dumps(
            {
                "bench": "throttle",
                "days": args.days,
                "guesser": {
                    "evaluated_per_hour": round(laundering, 2),
                    "p_hit_year": p_year(laundering),
                },
                "baseline_without_valid_code": {
                    "evaluated_per_hour": round(plain, 2),
                    "p_hit_year": p_year(plain),
                },
                "vandal": {"visitors": args.visitors * args.days, **outcome},
            }
        )
    )


if __name__ == "__main__":
    main()
