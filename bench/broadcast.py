"""A notice to many residents through the emulator: sustained rate against the
configured global send limit, and exactly-once delivery across a restart halfway.

Seeds a migrated SQLite file with ``--residents`` residents (one unit each, over
ten buildings), registers them in the Bot API emulator, writes one notice to all
of them (``core.community.notices.create_notice``), then runs the real delivery
job (``handlers.community.jobs.run_notices``) of the real application, whose sender
keeps ``COURTYARD_SEND_RATE_GLOBAL`` (``--rate``). When half have it, the job is
stopped and the application closed (a graceful restart: the batch in flight
finishes); a second application resumes. Prints one JSON line:

- ``rate_per_s``: messages per second while sending (both halves, the restart's
  pause excluded), ``rate_share``: that against ``--rate`` (target ≥ 0.93);
- ``lost`` / ``duplicated``: residents with no message / more than one (target 0),
  counted in the emulator; ``rows_sent`` the delivery rows marked sent, and the rows
  left claimed at the restart and at the end (0: nothing would be sent again);
- ``baseline_rate_per_s``: the same emulator and sender sending ``--baseline``
  plain messages to the same chats with no database work (the ceiling here).

    uv run python -m bench.broadcast [--residents 10000] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bot.app import build_application
from bot.emulator import Emulator
from bot.settings import Settings
from core.community.models import Audience, DeliveryStatus, NoticeDelivery, NoticeKind
from core.community.notices import NoticeDraft, create_notice
from core.db import create_engine, create_session_factory
from core.migrate import upgrade_database_async
from core.models import Building, Community, Person, Residency, ResidencyRole, ResidencyStatus, Unit
from handlers.community.jobs import run_notices

FIRST_ID = 5_000_000


async def _seed(url: str, residents: int) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        community = Community(name="Bench Garden", locale="en", config={})
        session.add(community)
        await session.flush()
        buildings = [Building(community_id=community.id, name=f"B{i}") for i in range(10)]
        session.add_all(buildings)
        await session.flush()
        now = datetime.now(UTC)
        units = [
            {
                "community_id": community.id,
                "building_id": buildings[i % 10].id,
                "number": str(i),
                "area_m2": Decimal("80"),
            }
            for i in range(residents)
        ]
        await session.execute(insert(Unit), units)
        people = [
            {
                "telegram_id": FIRST_ID + i,
                "full_name": f"R{i}",
                "locale": "en",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(residents)
        ]
        await session.execute(insert(Person), people)
        unit_ids = (await session.scalars(select(Unit.id).order_by(Unit.id))).all()
        person_ids = (await session.scalars(select(Person.id).order_by(Person.id))).all()
        await session.execute(
            insert(Residency),
            [
                {
                    "person_id": p,
                    "unit_id": u,
                    "role": ResidencyRole.OWNER,
                    "status": ResidencyStatus.ACTIVE,
                    "created_at": now,
                }
                for p, u in zip(person_ids, unit_ids, strict=True)
            ],
        )
        draft = NoticeDraft(NoticeKind.GENERAL, Audience.ALL, "Bench", "A notice to everyone.")
        await create_notice(
            session,
            community_id=community.id,
            author_person_id=None,
            draft=draft,
            send_at=now,
            now=now,
            today=date.today(),
        )
        await session.commit()
    await engine.dispose()


async def _sent(url: str, status: DeliveryStatus = DeliveryStatus.SENT) -> int:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        count = await session.scalar(select(func.count()).where(NoticeDelivery.status == status))
    await engine.dispose()
    return int(count or 0)


async def _app(settings: Settings) -> Any:
    return await build_application(settings, migrate=False, start_scheduler=False)


async def _first_half(settings: Settings, residents: int) -> float:
    """Send until half have it, then stop gracefully; the seconds spent sending."""
    app = await _app(settings)
    started = time.perf_counter()
    with app.ctx.i18n.context():
        job = asyncio.create_task(run_notices(app.ctx))
        while not job.done() and await _sent(settings.database_url) < residents // 2:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        job.cancel()
        try:
            await job
        except asyncio.CancelledError:
            pass
    elapsed = time.perf_counter() - started
    await app.close()
    return elapsed


async def _second_half(settings: Settings) -> float:
    app = await _app(settings)
    started = time.perf_counter()
    with app.ctx.i18n.context():
        await run_notices(app.ctx)
    elapsed = time.perf_counter() - started
    await app.close()
    return elapsed


async def _baseline(settings: Settings, count: int) -> float:
    """Plain sends to the same chats through the same sender: messages per second."""
    app = await _app(settings)
    bot = app.ctx.bot
    started = time.perf_counter()
    await asyncio.gather(*(bot.send_message(FIRST_ID + i, "x") for i in range(count)))
    rate = count / (time.perf_counter() - started)
    await app.close()
    return rate


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    emulator = Emulator(bot_username="courtyard_bot")
    await emulator.start(host="127.0.0.1", port=0)
    try:
        for i in range(args.residents):
            emulator.user(FIRST_ID + i, f"R{i}", language_code="en")
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await upgrade_database_async(url)
            await _seed(url, args.residents)
            settings = Settings(
                bot_token="123456:bench",  # type: ignore[arg-type]
                database_url=url,
                secret_key="b" * 64,  # type: ignore[arg-type]
                secret_key_file=Path(tmp) / ".secret_key",
                spool_dir=Path(tmp) / "spool",
                telegram_api=emulator.base_url,
                send_rate_global=args.rate,
                log_format="text",
                log_level="WARNING",
            )
            first = await _first_half(settings, args.residents)
            half = await _sent(url)
            claimed_at_restart = await _sent(url, DeliveryStatus.CLAIMED)
            second = await _second_half(settings)
            rows_sent = await _sent(url)
            rows_claimed = await _sent(url, DeliveryStatus.CLAIMED)
            baseline = await _baseline(settings, args.baseline)
        received: dict[int, int] = {}
        for i in range(args.residents):
            chat = emulator.user(FIRST_ID + i)
            received[i] = sum(
                1 for m in chat.messages if "A notice to everyone." in m.get("text", "")
            )
    finally:
        await emulator.stop()
    rate = args.residents / (first + second)
    return {
        "bench": "broadcast",
        "residents": args.residents,
        "configured_rate_per_s": args.rate,
        "rate_per_s": round(rate, 1),
        "rate_share": round(rate / args.rate, 3),
        "sent_before_restart": half,
        "rows_sent": rows_sent,
        "rows_claimed_at_restart": claimed_at_restart,
        "rows_left_claimed": rows_claimed,
        "lost": sum(1 for n in received.values() if n == 0),
        "duplicated": sum(1 for n in received.values() if n > 1),
        "baseline_rate_per_s": round(baseline, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--baseline", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
