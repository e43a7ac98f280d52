"""The gate pane's plate reader, without a browser: the vehicle gate offers the seeded
plates to pick, and a read goes through the real gate API (a resident's car, the black
list, a blurred read, a visitor's car in and out)."""

from __future__ import annotations

import pytest

from bot.sandbox.runtime import Sandbox
from bot.sandbox.seed_vehicles import BLOCKED_PLATE, RESIDENT_PLATE
from tests.conftest import PG_URL
from tests.sandbox.conftest import api_get, api_post

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(bool(PG_URL), reason="the sandbox uses its own SQLite database"),
]


async def _read(sandbox: Sandbox, gate_id: int, plate: str, **extra) -> dict:
    body = {"plate": plate, "confidence": 0.98, **extra}
    status, answer = await api_post(sandbox, f"sandbox/api/gates/{gate_id}/verify", body)
    assert status == 200 and answer["result"]["status"] == 200
    return answer["result"]["decision"]


async def test_the_plate_reader_at_the_vehicle_gate(module_sandbox: Sandbox) -> None:
    lane = next(g for g in module_sandbox.state.gates if g.kind == "vehicle")
    _, state = await api_get(module_sandbox, f"sandbox/api/gates/{lane.id}")
    assert {RESIDENT_PLATE, BLOCKED_PLATE} <= set(state["result"]["plates"])

    decision = await _read(module_sandbox, lane.id, "沪a 123 45")
    assert (decision["granted"], decision["reason"]) == (True, "vehicle")
    assert (await _read(module_sandbox, lane.id, BLOCKED_PLATE))["reason"] == "blocked"
    blurred = await _read(module_sandbox, lane.id, RESIDENT_PLATE, confidence=0.6)
    assert blurred["reason"] == "plate_unsure"
    out = await _read(module_sandbox, lane.id, RESIDENT_PLATE, direction="out")
    assert out["granted"]
    _, state = await api_get(module_sandbox, f"sandbox/api/gates/{lane.id}")
    assert [r["method"] for r in state["result"]["log"]][:4] == ["plate"] * 4
