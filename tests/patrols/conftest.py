"""A community with an admin group, a manager, a guard and a resident, plus a second
community with its own guard — in the database and in the emulator, in English."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from core.models import Community, Person, StaffRole
from core.patrols.models import Checkpoint
from core.patrols.tokens import checkpoint_payload
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit

GROUP_ID = -1001000000071
MANAGER_ID = 701
GUARD_ID = 702
RESIDENT_ID = 703
OTHER_GUARD_ID = 704


@dataclass
class World:
    community: Community
    other: Community
    manager: Person
    guard: Person
    group: Any = None


def jpeg(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def start_payload(checkpoint: Checkpoint) -> str:
    return checkpoint_payload(TEST_SECRET, checkpoint.id, checkpoint.salt)


async def build_world(session) -> World:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=True, locale="en"
    )
    other = await make_community(session, "Maple Court", locale="en")
    unit = await make_unit(session, community, "3栋", "1201")
    await make_resident(session, unit, RESIDENT_ID, "Wang Resident", locale="en")
    manager, _ = await make_staff(session, community, MANAGER_ID, "Li Manager", locale="en")
    guard, _ = await make_staff(
        session, community, GUARD_ID, "Zhao Guard", StaffRole.GUARD, locale="en"
    )
    await make_staff(session, other, OTHER_GUARD_ID, "Qian Guard", StaffRole.GUARD, locale="en")
    await session.commit()
    return World(community, other, manager, guard)


@pytest.fixture
async def world(session, emulator) -> World:
    world = await build_world(session)
    world.group = emulator.group(GROUP_ID, "Sunny Garden staff", is_forum=True)
    world.group.add_member(MANAGER_ID, "Li Manager")
    world.group.add_member(GUARD_ID, "Zhao Guard")
    for user_id, name in (
        (MANAGER_ID, "Li"),
        (GUARD_ID, "Zhao"),
        (RESIDENT_ID, "Wang"),
        (OTHER_GUARD_ID, "Qian"),
    ):
        emulator.user(user_id, name, language_code="en")
    return world


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )
