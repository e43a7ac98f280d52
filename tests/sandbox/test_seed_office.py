"""The demo community's office records: checkpoints, a walked week, the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.sandbox.runtime import Sandbox
from core.equipment.models import Equipment, MaintenancePlan
from core.patrols.models import Checkpoint, CheckpointVisit, PatrolRound

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_demo_has_patrols_and_equipment(module_sandbox: Sandbox) -> None:
    async with module_sandbox.require_app().ctx.session_factory() as session:
        assert await session.scalar(select(func.count(Checkpoint.id))) == 3
        assert await session.scalar(select(func.count(CheckpointVisit.id))) > 20
        rounds = (await session.scalars(select(PatrolRound))).all()
        assert rounds and any(not r.completed for r in rounds)
        assert await session.scalar(select(func.count(Equipment.id))) == 8
        assert await session.scalar(select(func.count(MaintenancePlan.id))) == 2


async def test_the_chinese_demo_seeds_too(tmp_path) -> None:
    from tests.sandbox.conftest import start_sandbox

    sandbox = await start_sandbox(tmp_path, language="zh_Hans")
    try:
        async with sandbox.require_app().ctx.session_factory() as session:
            names = set((await session.scalars(select(Checkpoint.name))).all())
            assert names == {"北门", "地下车库", "东侧消防通道"}
    finally:
        await sandbox.stop()
