"""The demo is seeded once and survives a restart of the sandbox; without its
database it is seeded anew."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Community
from tests.conftest import PG_URL
from tests.sandbox.conftest import api_post as _post
from tests.sandbox.conftest import start_sandbox

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # The sandbox always runs on its own SQLite file: the PostgreSQL run adds nothing.
    pytest.mark.skipif(bool(PG_URL), reason="the sandbox uses its own SQLite database"),
]


async def test_the_demo_is_seeded_once_and_survives_a_restart(tmp_path) -> None:
    sandbox = await start_sandbox(tmp_path)
    try:
        state = sandbox.state
        resident = sandbox.emulator.user(700_001)
        await resident.send("/start")
        await resident.expect(timeout=20)
        history = len(resident.messages)
    finally:
        await sandbox.stop()
    assert (tmp_path / "sandbox.json").stat().st_mode & 0o777 == 0o600

    again = await start_sandbox(tmp_path, language="zh_Hans")
    try:
        # Same community (the language of the first seeding stays), same gate keys.
        assert again.state.community_id == state.community_id
        assert again.state.language == "en"
        assert [g.api_key for g in again.state.gates] == [g.api_key for g in state.gates]
        assert again.state.invitations == state.invitations
        async with again.require_app().ctx.session_factory() as session:
            assert await session.scalar(select(func.count()).select_from(Community)) == 1
        # Telegram was kept: the resident's chat and the admin forum.
        assert len(again.emulator.user(700_001).messages) == history
        assert again.emulator.core.world.chats[state.admin_chat_id].is_forum
        _, body = await _post(again, f"sandbox/api/gates/{state.gates[0].id}/verify", {"code": "1"})
        assert body["result"]["status"] == 200  # the stored key still authenticates
    finally:
        await again.stop()

    # Without its database the demo is seeded anew, and the old Telegram is not restored.
    (tmp_path / "courtyard.db").unlink()
    fresh = await start_sandbox(tmp_path)
    try:
        assert fresh.state.fresh
        assert fresh.emulator.user(700_001).messages == []
        assert [g.api_key for g in fresh.state.gates] != [g.api_key for g in state.gates]
    finally:
        await fresh.stop()
