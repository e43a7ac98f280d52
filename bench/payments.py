"""Pre-checkout latency under 50 concurrent checkouts, on a community of 10,000 units
with a year of bills.

Telegram gives the bot 10 s to answer a pre-checkout query; we aim for p99 ≤ 200 ms
on 2 cores. The queries go through the real dispatcher (middlewares, identity,
the fees router, the checkout validation and its commit); Bot API calls are
answered in-process (bench/_local_session.py) so the numbers are ours. In the same
run, the baseline is a bare indexed SELECT of a bill by id issued with the same
concurrency, and an aiogram dispatcher that answers every pre-checkout "ok"
without looking at anything. Then the 50 checkouts complete (successful_payment)
and their latency is reported too. Prints one JSON line.

    uv run python bench/payments.py [--units 10000] [--months 12] [--concurrency 50]
        [--rounds 10] [--database-url postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import PreCheckoutQuery, Update
from sqlalchemy import select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._local_session import LocalSession
from bot.context import AppContext
from bot.dispatcher import create_dispatcher
from bot.i18n import create_i18n
from bot.settings import Settings
from bot.storage import DatabaseStorage
from core.clock import FrozenClock
from core.db import create_engine, create_session_factory
from core.fees.billing import generate_bills
from core.fees.common import Period
from core.fees.models import Bill, BillStatus, FeeKind
from core.fees.payments import create_invoice
from core.fees.schedule import add_fee_item
from core.migrate import upgrade_database_async
from core.models import Building, Community, Person, Residency, ResidencyRole, ResidencyStatus, Unit

NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))
    return ordered[index]


async def populate(factory: Any, units: int, months: int, payers: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    async with factory() as session:
        community = Community(
            name="Bench Garden", timezone="Asia/Shanghai", currency="CNY", config={}
        )
        session.add(community)
        await session.flush()
        buildings = []
        for b in range(max(1, units // 500)):
            building = Building(community_id=community.id, name=f"{b + 1}栋")
            session.add(building)
            buildings.append(building)
        await session.flush()
        rows = [
            {
                "community_id": community.id,
                "building_id": buildings[i % len(buildings)].id,
                "number": f"{i // len(buildings) + 1:04d}",
                "floor": 1 + i % 30,
                "area_m2": 60 + (i * 7) % 90 + 0.25,
            }
            for i in range(units)
        ]
        for start in range(0, len(rows), 2000):
            await session.execute(Unit.__table__.insert(), rows[start : start + 2000])
        await add_fee_item(session, community, name="物业费", kind=FeeKind.PER_M2, amount_minor=185)
        await add_fee_item(
            session, community, name="垃圾清运费", kind=FeeKind.FIXED, amount_minor=1500
        )
        await session.commit()
    last = Period.of(NOW.date())
    for m in range(months):
        period = last.shift(m - months + 1)
        async with factory() as session:
            await generate_bills(session, community, period, now=NOW, trigger="bench")
            await session.commit()
    async with factory() as session:
        # Most older bills are paid (bench data, written directly).
        await session.execute(
            update(Bill)
            .where(Bill.period < str(last.shift(-1)), Bill.unit_id % 7 != 0)
            .values(status=BillStatus.PAID, paid_minor=Bill.amount_due_minor)
        )
        unit_ids = (await session.scalars(select(Unit.id).order_by(Unit.id).limit(payers))).all()
        people = []
        for n, unit_id in enumerate(unit_ids):
            person = Person(telegram_id=700_000 + n, full_name=f"Payer {n}", locale="zh_Hans")
            session.add(person)
            await session.flush()
            session.add(
                Residency(
                    person_id=person.id,
                    unit_id=unit_id,
                    role=ResidencyRole.OWNER,
                    status=ResidencyStatus.ACTIVE,
                    start_date=date(2020, 1, 1),
                )
            )
            people.append(person)
        drafts = [
            await create_invoice(session, unit_id=u, person_id=p.id, now=NOW)
            for u, p in zip(unit_ids, people, strict=True)
        ]
        bills = await session.scalar(select(text("count(*)")).select_from(Bill))
        await session.commit()
    return {
        "drafts": [(d.payload, d.invoice.amount_minor) for d in drafts],
        "payers": [p.telegram_id for p in people],
        "bills": int(bills or 0),
        "setup_s": round(time.perf_counter() - t0, 1),
    }


def pre_checkout(update_id: int, user_id: int, payload: str, amount: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "pre_checkout_query": {
            "id": str(update_id),
            "from": {"id": user_id, "is_bot": False, "first_name": "P", "language_code": "zh"},
            "currency": "CNY",
            "total_amount": amount,
            "invoice_payload": payload,
        },
    }


def successful_payment(update_id: int, user_id: int, payload: str, amount: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "P"},
            "from": {"id": user_id, "is_bot": False, "first_name": "P", "language_code": "zh"},
            "successful_payment": {
                "currency": "CNY",
                "total_amount": amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": f"bench-{update_id}",
                "provider_payment_charge_id": f"prov-{update_id}",
            },
        },
    }


async def timed_feed(dp: Dispatcher, bot: Bot, raws: list[dict[str, Any]]) -> list[float]:
    latencies: list[float] = []

    async def one(raw: dict[str, Any]) -> None:
        update = Update.model_validate(raw, context={"bot": bot})
        t0 = time.perf_counter()
        await dp.feed_update(bot, update)
        latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(one(r) for r in raws))
    return latencies


async def main(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    if url.startswith("postgresql"):
        engine = create_engine(url, pool=False)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade_database_async(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    data = await populate(factory, args.units, args.months, args.concurrency)
    settings = Settings(
        bot_token="123456789:BENCH",  # type: ignore[arg-type]
        database_url=url,
        secret_key="bench",  # type: ignore[arg-type]
        secret_key_file=tmp / "key",
        payments_provider_token="284685063:TEST:bench",  # type: ignore[arg-type]
    )
    i18n = create_i18n()
    ctx = AppContext(settings, engine, factory, i18n, FrozenClock(NOW))
    session_backend = LocalSession()
    bot = Bot("123456789:BENCH", session=session_backend)
    ctx.bot = bot
    ctx.fees.deliver_inline = False  # receipts are not part of this measurement
    dp = create_dispatcher(ctx, DatabaseStorage(factory))
    drafts, payers = data["drafts"], data["payers"]
    uid = iter(range(1, 10**9))

    with i18n.context():
        # Warm-up (not measured): statement caches, imports, and a full batch so the
        # connection pool holds as many connections as a running bot's would.
        await timed_feed(
            dp,
            bot,
            [
                pre_checkout(next(uid), payers[i], payload, amount)
                for i, (payload, amount) in enumerate(drafts)
            ],
        )
        latencies: list[float] = []
        cpu0 = time.process_time()
        for _ in range(args.rounds):
            batch = [
                pre_checkout(next(uid), payers[i], payload, amount)
                for i, (payload, amount) in enumerate(drafts)
            ]
            latencies += await timed_feed(dp, bot, batch)
        cpu_ms = (time.process_time() - cpu0) * 1000 / max(1, len(latencies))
        paid = await timed_feed(
            dp,
            bot,
            [
                successful_payment(next(uid), payers[i], payload, amount)
                for i, (payload, amount) in enumerate(drafts)
            ],
        )
        refused = await timed_feed(
            dp,
            bot,
            [
                pre_checkout(next(uid), payers[i], payload, amount)
                for i, (payload, amount) in enumerate(drafts)
            ],
        )

    # Baselines in the same run: a bare indexed SELECT, and a dispatcher that only says ok.
    async def bare_select(bill_id: int) -> float:
        t0 = time.perf_counter()
        async with factory() as session:
            await session.execute(
                select(Bill.status, Bill.amount_due_minor).where(Bill.id == bill_id)
            )
        return (time.perf_counter() - t0) * 1000

    baseline: list[float] = []
    await asyncio.gather(*(bare_select(1 + i) for i in range(args.concurrency)))  # warm-up
    for r in range(args.rounds):
        baseline += await asyncio.gather(
            *(bare_select(1 + (r * 50 + i) * 37 % data["bills"]) for i in range(args.concurrency))
        )
    echo = Dispatcher()

    @echo.pre_checkout_query()
    async def _ok(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    echo_latencies: list[float] = []
    for _ in range(args.rounds):
        echo_latencies += await timed_feed(
            echo,
            bot,
            [pre_checkout(next(uid), payers[i], p, a) for i, (p, a) in enumerate(drafts)],
        )
    async with factory() as session:
        paid_bills = await session.scalar(
            select(text("count(*)")).select_from(Bill).where(Bill.paid_at == NOW)
        )
    await engine.dispose()
    return {
        "bench": "payments",
        "database": url.split("+", 1)[0],
        "units": args.units,
        "bills": data["bills"],
        "concurrency": args.concurrency,
        "pre_checkouts": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        # CPU of this process per pre-checkout (event loop and SQLite threads):
        # the part of the latency that does not depend on what else the machine runs.
        "cpu_ms_per_pre_checkout": round(cpu_ms, 2),
        "baseline_select_p99_ms": round(percentile(baseline, 0.99), 1),
        "baseline_echo_p99_ms": round(percentile(echo_latencies, 0.99), 1),
        "successful_payment_p99_ms": round(percentile(paid, 0.99), 1),
        "bills_paid": int(paid_bills or 0),
        "refused_after_paid_p99_ms": round(percentile(refused, 0.99), 1),
        "setup_s": data["setup_s"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
