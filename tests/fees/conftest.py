"""Fees tests: a community with an admin group, residents and staff, in the database
and in the Bot API emulator (same Telegram ids), plus the bot with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from core.clock import FrozenClock
from core.fees.models import FeeKind, FeeScope
from core.fees.schedule import Target, add_fee_item
from core.models import Community, Person, ResidencyRole, StaffRole, Unit
from tests.factories import make_community, make_resident, make_staff, make_unit
from tests.fees.helpers import NOW
from tests.harness import start_bot

GROUP_ID = -1001000000066
OWNER_ID = 701
TENANT_ID = 702
MANAGER_ID = 801
ACCOUNTANT_ID = 802
PROVIDER_TOKEN = "284685063:TEST:courtyard-fees"


@dataclass
class World:
    community: Community
    unit: Unit
    owner: Person
    tenant: Person
    manager: Person
    accountant: Person
    group: Any = None
    owner_chat: Any = None
    tenant_chat: Any = None


async def build_world(session) -> World:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=GROUP_ID, is_forum=False, locale="en"
    )
    unit = await make_unit(session, community, "3栋", "1201", area_m2="89.50")
    await make_unit(session, community, "5栋", "0101", area_m2="60.00")
    owner, _ = await make_resident(session, unit, OWNER_ID, "Wang Xiaoming", locale="en")
    tenant, _ = await make_resident(
        session, unit, TENANT_ID, "Li Lei", role=ResidencyRole.TENANT, locale="en"
    )
    manager, _ = await make_staff(session, community, MANAGER_ID, "Li Manager", locale="en")
    accountant, _ = await make_staff(
        session, community, ACCOUNTANT_ID, "Zhao Accounts", StaffRole.ACCOUNTANT, locale="en"
    )
    await add_fee_item(
        session, community, name="Management fee", kind=FeeKind.PER_M2, amount_minor=185
    )
    await add_fee_item(
        session,
        community,
        name="Parking",
        kind=FeeKind.PARKING,
        amount_minor=15000,
        scope=FeeScope.UNITS,
        targets=[Target(unit_id=unit.id, quantity=2)],
        due_day=20,
    )
    await session.commit()
    return World(community, unit, owner, tenant, manager, accountant)


@pytest.fixture
async def world(session, emulator) -> World:
    w = await build_world(session)
    w.group = emulator.group(GROUP_ID, "Sunny Garden staff")
    w.group.add_member(MANAGER_ID, "Li Manager")
    w.group.add_member(ACCOUNTANT_ID, "Zhao Accounts")
    w.owner_chat = emulator.user(OWNER_ID, "Wang", language_code="en")
    w.tenant_chat = emulator.user(TENANT_ID, "Li", language_code="en")
    return w


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def fees_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"payments_provider_token": SecretStr(PROVIDER_TOKEN)})


@pytest.fixture
async def fees_bot(fees_settings: Settings, emulator, clock) -> AsyncIterator[Any]:
    async with start_bot(fees_settings, emulator, clock=clock) as app:
        yield app
