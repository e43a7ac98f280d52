"""A single-use code admits exactly one entry, however many terminals try at once.

20,000 redemptions of 1,000 single-use codes, spread over several gate terminals
and over two independent runtimes (as two processes would be: separate
connections, separate door drivers), fired concurrently. Runs on SQLite and —
when the suite runs against PostgreSQL — on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import func, select

from access.gates import create_gate
from access.models import AccessLogEntry, Pass
from access.service import AccessRuntime
from access.verification import Credential, Reason
from tests.access.helpers import bulk_passes
from tests.conftest import TEST_SECRET

PASSES = 1_000
ATTEMPTS = 20_000


@pytest.mark.slow
async def test_twenty_thousand_concurrent_redemptions(session, site, database_url, clock):
    for extra in ("西门", "南门"):
        await create_gate(
            session, secret_key=TEST_SECRET, community_id=site.community.id, name=extra
        )
    await session.commit()
    issued = await bulk_passes(session, site, clock.now(), PASSES)
    gate_ids = (
        list((await session.scalars(select(func.distinct(AccessLogEntry.gate_id)))).all()) or None
    )
    from access.models import Gate

    gate_ids = list(
        await session.scalars(select(Gate.id).where(Gate.community_id == site.community.id))
    )
    assert len(gate_ids) == 5

    runtimes = [
        AccessRuntime(database_url=database_url, secret_key=TEST_SECRET, clock=clock)
        for _ in range(2)
    ]
    try:
        gates = [[await rt.gates.get(g) for g in gate_ids] for rt in runtimes]
        attempts = [(i % PASSES) for i in range(ATTEMPTS)]
        random.Random(5).shuffle(attempts)
        limit = asyncio.Semaphore(400)

        async def attempt(n: int, which: int):
            _, code, token = issued[which]
            rt_index = n % 2
            gate = gates[rt_index][n % len(gate_ids)]
            credential = Credential.code(code) if n % 3 else Credential.qr(token)
            async with limit:
                return await runtimes[rt_index].verify(gate, credential, terminal=f"t{n % 7}")

        decisions = await asyncio.gather(*(attempt(n, w) for n, w in enumerate(attempts)))
    finally:
        for rt in runtimes:
            await rt.close()

    granted = [d for d in decisions if d.granted]
    assert len(granted) == PASSES
    assert len({d.pass_id for d in granted}) == PASSES
    assert {d.reason for d in decisions if not d.granted} == {Reason.USED}
    assert await session.scalar(select(func.count()).select_from(AccessLogEntry)) == ATTEMPTS
    assert (
        await session.scalar(
            select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.granted)
        )
        == PASSES
    )
    assert set(await session.scalars(select(func.distinct(Pass.uses_count)))) == {1}
