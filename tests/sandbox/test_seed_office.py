"""The demo community's office records: checkpoints, a month of rounds, the
ledger with maintenance done, the light round, a guard on duty — and the page's
"What to try" scan: a checkpoint's QR payload opened as the guard."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.sandbox.runtime import Sandbox
from core.equipment.models import (
    Equipment,
    LightCheck,
    MaintenancePlan,
    MaintenanceTask,
    TaskStatus,
)
from core.models import Community
from core.patrols.models import Checkpoint, CheckpointVisit, PatrolRound, RouteGuard
from core.scorecard.publish import last_month_scorecard
from tests.sandbox.conftest import api_get

pytestmark = pytest.mark.asyncio(loop_scope="module")
GUARD_ID = 800_003


async def test_the_demo_has_a_month_of_office_records(module_sandbox: Sandbox) -> None:
    ctx = module_sandbox.require_app().ctx
    async with ctx.session_factory() as session:
        assert await session.scalar(select(func.count(Checkpoint.id))) == 3
        assert await session.scalar(select(func.count(CheckpointVisit.id))) > 100
        rounds = (await session.scalars(select(PatrolRound))).all()
        assert len(rounds) > 100 and any(not r.completed for r in rounds)
        assert await session.scalar(select(func.count(RouteGuard.id))) == 1
        assert await session.scalar(select(func.count(Equipment.id))) == 8
        assert await session.scalar(select(func.count(MaintenancePlan.id))) == 2
        assert await session.scalar(select(func.count(LightCheck.id))) == 5
        done = await session.scalar(
            select(func.count(MaintenanceTask.id)).where(MaintenanceTask.status == TaskStatus.DONE)
        )
        assert done and done >= 4
        community_id = await session.scalar(select(Community.id))
        assert community_id is not None
        _, card = await last_month_scorecard(session, community_id, module_sandbox.clock.now())
    assert card.rounds > 100 and 90 < (card.rounds_pct or 0) < 100
    assert card.lights.pct == 100.0
    assert card.tasks_due >= 5 and card.tasks_on_time == card.tasks_due - 1
    assert (card.lanes.done, card.lanes.required) == (0, 2)


async def test_the_guide_scans_a_checkpoint_as_the_guard(module_sandbox: Sandbox) -> None:
    status, body = await api_get(module_sandbox, "sandbox/api/checkpoints")
    assert status == 200
    points = {c["name"]: c for c in body["result"]}
    assert set(points) == {"North gate", "Car park", "East fire lane"}
    assert points["East fire lane"]["kind"] == "fire_lane"
    guard = module_sandbox.emulator.user(GUARD_ID)
    await guard.send(f"/start {points['Car park']['payload']}")
    await guard.expect("Visit recorded: Car park", timeout=20)
    await guard.send(f"/start {points['East fire lane']['payload']}")
    await guard.expect("photo", timeout=20)


async def test_the_chinese_demo_seeds_too(tmp_path) -> None:
    from tests.sandbox.conftest import start_sandbox

    sandbox = await start_sandbox(tmp_path, language="zh_Hans")
    try:
        async with sandbox.require_app().ctx.session_factory() as session:
            names = set((await session.scalars(select(Checkpoint.name))).all())
            assert names == {"北门", "地下车库", "东侧消防通道"}
    finally:
        await sandbox.stop()
