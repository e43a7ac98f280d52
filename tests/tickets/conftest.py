"""A community with an admin forum, a resident, a technician and a manager — in the
database and in the Bot API emulator (same Telegram ids), all speaking English."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from core.models import Community, Person, StaffRole, Unit
from tests.factories import make_community, make_resident, make_staff, make_unit

GROUP_ID = -1001000000001
RESIDENT_ID = 501
TECH_ID = 601
MANAGER_ID = 602


@dataclass
class World:
    community: Community
    unit: Unit
    resident: Person
    tech: Person
    manager: Person
    group: Any = None
    resident_chat: Any = None


def jpeg(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


async def build_world(session, *, forum: bool = True, locale: str = "en") -> World:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=forum, locale=locale
    )
    unit = await make_unit(session, community, "3栋", "1201")
    resident, _ = await make_resident(session, unit, RESIDENT_ID, "Wang Xiaoming", locale=locale)
    tech, _ = await make_staff(
        session, community, TECH_ID, "Zhang Tech", StaffRole.TECHNICIAN, locale=locale
    )
    manager, _ = await make_staff(session, community, MANAGER_ID, "Li Manager", locale=locale)
    await session.commit()
    return World(community, unit, resident, tech, manager)


def attach_emulator(world: World, emulator: Any, *, forum: bool = True) -> World:
    world.group = emulator.group(GROUP_ID, "Sunny Garden staff", is_forum=forum)
    world.group.add_member(TECH_ID, "Zhang Tech")
    world.group.add_member(MANAGER_ID, "Li Manager")
    world.resident_chat = emulator.user(RESIDENT_ID, "Wang", language_code="en")
    emulator.user(TECH_ID, "Zhang Tech")
    emulator.user(MANAGER_ID, "Li Manager")
    return world


@pytest.fixture
async def world(session, emulator) -> World:
    return attach_emulator(await build_world(session), emulator)


@pytest.fixture
def settings(settings):
    """Telegram's per-chat pacing is the sender's business (tested there); here it
    would only make every conversation step wait a second."""
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )
