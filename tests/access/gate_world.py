"""A community with gates, staff in its admin group and a resident, the real bot polling
the emulator and the real gate terminal API over HTTP — for end-to-end gate tests.

Used by the gate tests that need the chat and the terminal together; each test file
builds its own fixture from :func:`gate_world` with the languages and clock it needs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from access.api import serve
from access.gates import create_gate
from core.clock import FrozenClock
from core.models import Community, Person, StaffRole
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit
from tests.harness import start_bot

GROUP_ID = -1001000000088
RESIDENT_ID = 531
GUARD_ID = 631
MANAGER_ID = 632
STRANGER_ID = 999
GATES = ("East Gate", "North Gate")


@dataclass
class GateWorld:
    community: Community
    host: Person
    clock: FrozenClock
    keys: dict[str, str] = field(default_factory=dict)
    gate_ids: dict[str, int] = field(default_factory=dict)
    app: Any = None
    api: str = ""
    resident: Any = None
    group: Any = None

    async def terminal(self, gate: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The gate's terminal asks the gate API to decide (``/verify``)."""
        return await self._post(gate, "verify", body)

    async def event(self, gate: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The gate's terminal reports an alarm (``/events``)."""
        return await self._post(gate, "events", body)

    async def _post(self, gate: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self.api}/v1/gates/{self.gate_ids[gate]}/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.keys[gate]}"},
            ) as response,
        ):
            return response.status, await response.json()


@contextlib.asynccontextmanager
async def gate_world(
    session: Any,
    settings: Any,
    emulator: Any,
    clock: FrozenClock,
    *,
    community_locale: str = "en",
    resident_locale: str = "en",
    staff_locale: str = "en",
    name: str = "Sunny Garden",
) -> AsyncIterator[GateWorld]:
    community = await make_community(
        session, name, admin_chat_id=GROUP_ID, is_forum=False, locale=community_locale
    )
    unit = await make_unit(session, community, "3栋", "1201")
    host, _ = await make_resident(
        session, unit, RESIDENT_ID, "Wang Xiaoming", locale=resident_locale
    )
    await make_staff(
        session, community, GUARD_ID, "Zhao Guard", StaffRole.GUARD, locale=staff_locale
    )
    await make_staff(session, community, MANAGER_ID, "Li Manager", locale=staff_locale)
    w = GateWorld(community, host, clock)
    for gate in GATES:
        created = await create_gate(
            session, secret_key=TEST_SECRET, community_id=community.id, name=gate
        )
        w.keys[gate], w.gate_ids[gate] = created.api_key, created.gate.id
    await session.commit()
    telegram_language = "zh-hans" if resident_locale == "zh_Hans" else "en"
    w.resident = emulator.user(RESIDENT_ID, "Wang", language_code=telegram_language)
    w.group = emulator.group(GROUP_ID, f"{name} staff")
    w.group.add_member(GUARD_ID, "Zhao Guard")
    w.group.add_member(MANAGER_ID, "Li Manager")
    w.group.add_member(STRANGER_ID, "Stranger")
    emulator.user(GUARD_ID, "Zhao Guard")
    emulator.user(MANAGER_ID, "Li Manager")
    async with start_bot(settings, emulator, clock=clock) as app:
        w.app = app
        runner = await serve(app.ctx.gate, "127.0.0.1", 0)
        w.api = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield w
        finally:
            await runner.cleanup()


def code_of(text: str) -> str | None:
    """The 8-digit code on a pass card ("Code: 1234 5678"), or None."""
    match = re.search(r"(\d{4}) (\d{4})", text)
    return match.group(1) + match.group(2) if match else None
