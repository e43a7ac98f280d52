"""/livez and /readyz on the webhook port and the gate API: ready with the database
at the migrations' heads, unready without a database, with a schema that is
behind, or with Redis configured and not answering; alive all along."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from core.db import create_engine
from core.migrate import upgrade_database
from tests.ops.helpers import site
from tests.replicas.conftest import scratch_pg_url  # noqa: F401  (fixture)


async def _probe(s, base: str) -> tuple[int, dict, int]:
    live, _ = await s.get(base + "/livez")
    ready, body = await s.get(base + "/readyz")
    return ready, body, live


async def _set_revisions(engine, revisions: list[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM alembic_version"))
        for revision in revisions:
            await conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})


async def test_ready_then_behind_schema(settings, emulator) -> None:
    async with site(settings, emulator) as s:
        engine = s.app.ctx.engine
        async with engine.connect() as conn:
            heads = list(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
        try:
            for base in (s.webhook, s.gate_api):
                ready, body, live = await _probe(s, base)
                assert (ready, live) == (200, 200)
                assert body == {"database": "ok", "schema": "current", "status": "ok"}
            # A release whose migrate step has not run yet: unready until it has.
            await _set_revisions(engine, ["0001_foundation"])
            for base in (s.webhook, s.gate_api):
                ready, body, live = await _probe(s, base)
                assert (ready, live) == (503, 200)
                assert body["schema"] == "behind"
            # A later release migrated it (rolling upgrade): the old processes still serve.
            await _set_revisions(engine, ["9999_later"])
            ready, body, _ = await _probe(s, s.webhook)
            assert (ready, body["schema"]) == (200, "newer")
        finally:  # the PostgreSQL test database is shared by the tests that follow
            await _set_revisions(engine, heads)


async def test_redis_configured_and_down_is_unready(settings, emulator) -> None:
    # Nothing listens on this port (the ops range): the store cannot answer.
    settings = settings.model_copy(update={"redis_url": "redis://127.0.0.1:18299/2"})
    async with site(settings, emulator) as s:
        s.app.ctx.settings = settings.model_copy(update={"fsm_storage": "redis"})
        from bot.metrics import bot_readiness

        ready, body = await bot_readiness(s.app.ctx).check()
        assert not ready
        assert body["redis"] == "down" and body["database"] == "ok"


@pytest.mark.postgres
async def test_a_replica_that_loses_its_database_goes_unready(
    settings,
    emulator,
    scratch_pg_url: str,  # noqa: F811
) -> None:
    await asyncio.to_thread(upgrade_database, scratch_pg_url)
    settings = settings.model_copy(update={"database_url": scratch_pg_url})
    async with site(settings, emulator) as s:
        for base in (s.webhook, s.gate_api):
            assert (await _probe(s, base))[:2] == (
                200,
                {"database": "ok", "schema": "current", "status": "ok"},
            )
        name = scratch_pg_url.rsplit("/", 1)[1]
        admin = create_engine(scratch_pg_url.rsplit("/", 1)[0] + "/postgres", pool=False)
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
        for base in (s.webhook, s.gate_api):
            ready, body, live = await _probe(s, base)
            assert (ready, live) == (503, 200)
            assert body == {"database": "down", "status": "unavailable"}


async def test_the_scheduler_serves_probes_on_the_metrics_port(settings, emulator) -> None:
    import aiohttp

    from bot.app import run_scheduler
    from tests.replicas.conftest import free_port

    port = free_port()
    settings = settings.model_copy(update={"telegram_api": emulator.base_url, "metrics_port": port})
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(settings, stop, migrate=False))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            ready: tuple[int, dict] = (0, {})
            for _ in range(600):  # until it has started and its first check passed
                assert not task.done(), task
                try:
                    async with http.get(base + "/readyz") as response:
                        ready = (response.status, await response.json())
                except aiohttp.ClientConnectionError:
                    pass
                if ready[0] == 200:
                    break
                await asyncio.sleep(0.1)
            assert ready == (200, {"database": "ok", "schema": "current", "status": "ok"})
            async with http.get(base + "/metrics") as response:
                text = await response.text()
            assert "courtyard_outbox_pending 0.0" in text
            assert "courtyard_spool_pending 0.0" in text
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
