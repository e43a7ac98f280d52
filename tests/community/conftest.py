"""A community with an admin group, a manager, an owner in 1栋, a tenant in 3栋 and
an owner in 1栋 who has blocked the bot — in the database and the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from core.models import Community, ResidencyRole
from tests.factories import make_community, make_resident, make_staff, make_unit

GROUP_ID = -1001000000077
MANAGER_ID = 702
OWNER_ID = 711
TENANT_ID = 712
BLOCKED_ID = 713


@dataclass
class World:
    community: Community
    group: Any
    owner: Any
    tenant: Any
    blocked: Any


async def build(session) -> Community:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=False, locale="en"
    )
    unit1 = await make_unit(session, community, "1栋", "101")
    unit1b = await make_unit(session, community, "1栋", "102")
    unit3 = await make_unit(session, community, "3栋", "301")
    await make_resident(session, unit1, OWNER_ID, "Wang Owner", locale="en")
    await make_resident(
        session, unit3, TENANT_ID, "Zhao Tenant", role=ResidencyRole.TENANT, locale="en"
    )
    await make_resident(session, unit1b, BLOCKED_ID, "Qian Blocked", locale="en")
    await make_staff(session, community, MANAGER_ID, "Li Manager", locale="en")
    await session.commit()
    return community


@pytest.fixture
async def world(session, emulator) -> World:
    community = await build(session)
    group = emulator.group(GROUP_ID, "Sunny Garden staff", is_forum=False)
    group.add_member(MANAGER_ID, "Li Manager")
    emulator.user(MANAGER_ID, "Li Manager", language_code="en")
    owner = emulator.user(OWNER_ID, "Wang", language_code="en")
    tenant = emulator.user(TENANT_ID, "Zhao", language_code="en")
    blocked = emulator.user(BLOCKED_ID, "Qian", language_code="en")
    blocked.block_bot()
    return World(community, group, owner, tenant, blocked)


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )
