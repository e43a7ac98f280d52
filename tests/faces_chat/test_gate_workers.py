"""Face templates in worker processes (``COURTYARD_FACE_WORKERS``): the gate API that the
application builds answers a face over real HTTP as before — the enrolled resident gets
in, a stranger does not — while the templates are computed outside its process, and a
code decision in the same process is answered while a face is being computed."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from access.api import serve
from access.passes import issue_visitor_pass
from bot.context import AppContext
from bot.i18n import create_i18n
from bot.services import build_gate
from core.clock import FrozenClock
from core.db import create_engine, create_session_factory
from tests.faces_chat.conftest import START, photo
from tests.faces_chat.test_gate import enroll, face, gate  # noqa: F401 - the fixture

pytestmark = pytest.mark.faces


@pytest.fixture
async def pooled(settings) -> AsyncIterator[tuple[AppContext, str]]:
    """The gate runtime as ``courtyard gate-api`` builds it, with one face worker."""
    settings = settings.model_copy(update={"face_workers": 1})
    engine = create_engine(settings.database_url)
    ctx = AppContext(
        settings, engine, create_session_factory(engine), create_i18n(), FrozenClock(START)
    )
    runtime = build_gate(ctx)
    runner = await serve(runtime, "127.0.0.1", 0)
    try:
        yield ctx, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
        await runtime.close()
        await engine.dispose()


async def test_face_decisions_through_the_worker_pool(
    session,
    home,
    gate,  # noqa: F811 - the fixture imported above
    pooled,
    template_of,
) -> None:
    ctx, api = pooled
    assert ctx.faces.pool is not None
    await enroll(session, home, home.owner, [template_of("obama_portrait.jpg")])
    await asyncio.to_thread(ctx.faces.engine.check_ready)
    workers = ctx.faces.pool.worker_pids()
    assert workers and os.getpid() not in workers

    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert status == 200, body
    assert body["granted"] is True, body

    # A stranger's face is computed in the worker and refused; a visitor's code sent
    # meanwhile to the same process is granted.
    issued = await issue_visitor_pass(
        session,
        secret_key=ctx.secret_key,
        now=START,
        host_person_id=home.owner.id,
        host_unit_id=home.unit.id,
        holder_name="Zhang San",
        purpose="visit",
        valid_from=START,
        valid_until=START + timedelta(hours=2),
        multi_entry=False,
        gate_ids=[],
    )
    await session.commit()

    async def code() -> tuple[int, dict]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{api}/v1/gates/{gate[0]}/verify",
                json={"code": issued.code},
                headers={"Authorization": f"Bearer {gate[1]}"},
            ) as response,
        ):
            return response.status, await response.json()

    stranger, coded = await asyncio.gather(face(api, gate, photo("biden.jpg")), code())
    assert stranger[0] == 200 and stranger[1]["granted"] is False
    assert stranger[1]["reason"] == "no_match"
    assert coded[0] == 200 and coded[1]["granted"] is True, coded
    assert ctx.faces.pool.worker_pids() == workers  # the same worker, loaded once
