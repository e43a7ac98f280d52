"""The gate pane's "cut the cable": the gate agent decides while the server is out of
reach, and the access log learns of it when the cable is back."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import func, select

from access.models import AccessLogEntry
from access.passes.resident_key import show_resident_key
from bot.sandbox.runtime import Sandbox
from core.models import Residency, ResidencyStatus, Unit
from tests.conftest import PG_URL
from tests.sandbox.conftest import dinner_guest_pass

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(bool(PG_URL), reason="the sandbox uses its own SQLite database"),
]


async def _post(sandbox: Sandbox, path: str, body: dict) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.post(sandbox.url + path, json=body) as response,
    ):
        assert response.status == 200
        return (await response.json())["result"]


async def test_cut_the_cable_and_the_agent_decides(module_sandbox: Sandbox) -> None:
    gate = module_sandbox.state.gates[0]
    app = module_sandbox.require_app()
    issued = await dinner_guest_pass(module_sandbox)
    async with app.ctx.session_factory() as session:
        resident = (
            await session.execute(
                select(Residency.person_id, Unit.community_id)
                .join(Unit, Unit.id == Residency.unit_id)
                .where(Residency.status == ResidencyStatus.ACTIVE)
                .limit(1)
            )
        ).one()
        resident_qr = await show_resident_key(
            session,
            secret_key=app.ctx.secret_key,
            now=app.ctx.clock.now(),
            person_id=resident.person_id,
            community_id=resident.community_id,
        )
        await session.commit()

    state = await _post(module_sandbox, "sandbox/api/gate-agent", {"cut": True})
    assert state["running"] and state["cut"]
    result = await _post(
        module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"code": issued.code}
    )
    decision = result["decision"]
    assert decision["granted"] and decision["offline"] and decision["holder"] == "Sam Taylor"
    assert result["door"]["state"] == "released"  # the pane's door, opened by the agent
    again = await _post(
        module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"code": issued.code}
    )
    assert again["decision"]["reason"] == "used"
    own = await _post(module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"qr": resident_qr})
    assert own["decision"]["granted"] and own["decision"]["offline"]

    async with app.ctx.session_factory() as session:
        count = select(func.count()).select_from(AccessLogEntry)
        before = await session.scalar(count.where(AccessLogEntry.pass_id == issued.pass_id))
        assert before == 0  # the server has not heard yet
        state = await _post(module_sandbox, "sandbox/api/gate-agent", {"cut": False})
        assert (state["cut"], state["online"], state["queued"]) == (False, True, 0)
        after = await session.scalar(count.where(AccessLogEntry.pass_id == issued.pass_id))
        assert after == 2
