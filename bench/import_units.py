"""How fast the unit import is: 20,000 units (200 buildings × 100 units), first
import and an idempotent re-import, on SQLite (default) or PostgreSQL.

Parses and validates the CSV, then writes in one transaction exactly as
``courtyard import-units`` does. Prints one JSON line.

    uv run python bench/import_units.py [--units 20000] [--database-url postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.communities import create_community, import_units, parse_units_csv
from core.db import create_engine, create_session_factory
from core.migrate import upgrade_database_async


def make_csv(units: int, per_building: int = 100) -> bytes:
    lines = ["building,unit,floor,area_m2"]
    for i in range(units):
        building, n = divmod(i, per_building)
        floor, door = divmod(n, 4)
        lines.append(f"{building + 1}栋,{floor + 1}{door + 1:02d},{floor + 1},{80 + (i % 60)}.50")
    return ("\n".join(lines) + "\n").encode()


async def run(units: int, url: str | None) -> dict[str, object]:
    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    await upgrade_database_async(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    data = make_csv(units)
    result: dict[str, object] = {
        "bench": "import_units",
        "units": units,
        "backend": url.split("+")[0],
    }
    async with factory() as session:
        community = await create_community(
            session, f"bench {time.time_ns()}", timezone="Asia/Shanghai", currency="CNY"
        )
        await session.commit()
    for label in ("first_import_s", "reimport_s"):
        start = time.perf_counter()
        rows = parse_units_csv(data)
        parsed = time.perf_counter()
        async with factory() as session:
            report = await import_units(session, community, rows)
            await session.commit()
        done = time.perf_counter()
        result[label] = round(done - start, 3)
        result[label.replace("_s", "_parse_s")] = round(parsed - start, 3)
        result[label.replace("_s", "_created")] = report.units_created
    await engine.dispose()
    tmp.cleanup()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.units, args.database_url))))


if __name__ == "__main__":
    main()
