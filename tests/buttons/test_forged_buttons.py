"""Forged and garbled button data, for every CallbackData prefix in the code (issue
21 item 14): pressed by a resident in their chat and by a manager in the admin
group, it is answered "This button is no longer active." (junk in every field) or
by the handler's own refusal (plausible ids with junk words) — never the apology
for a failure, and it never changes anything."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData

import handlers.features  # noqa: F401  (imports every area's buttons)
from bot.emulator import Emulator
from core.models import ResidencyRole, StaffRole
from tests.factories import make_community, make_resident, make_staff, make_unit

CHAT = -1009876500021
MANAGER, RESIDENT = 4101, 4102
STALE = "This button is no longer active."
APOLOGY = "went wrong"


def every_button_class() -> list[type[CallbackData]]:
    found: list[type[CallbackData]] = []
    todo = list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("handlers."):
            found.append(cls)
    return sorted(found, key=lambda c: c.__prefix__)


def forged(cls: type[CallbackData]) -> tuple[list[str], list[str]]:
    """(data no button could carry, data with plausible ids and junk words)."""
    prefix = cls.__prefix__
    fields = list(cls.model_fields.values())
    junk = ":".join([prefix, *["x!" for _ in fields]])
    plausible = ":".join([prefix, *["1" if f.annotation in (int, "int") else "x!" for f in fields]])
    return [junk, f"{prefix}:1:2:3:4:5:6"], [plausible, f"{prefix}:revoke:notanumber"]


async def _press(emulator: Emulator, chat_id: int, user_id: int, msg: dict, data: str) -> Any:
    actions = emulator.actions
    chat = actions.core.chat(chat_id)
    return await actions._callback(
        chat, user_id, actions._message(chat, msg["message_id"]), data, True, 30.0
    )


async def test_every_prefix_is_covered():
    prefixes = {cls.__prefix__ for cls in every_button_class()}
    assert {"ps", "tk", "mv", "sf", "fpay", "lang", "au", "fc", "pr", "ho"} <= prefixes


async def test_forged_buttons_are_stale_everywhere(running_bot, emulator, session_factory):
    async with session_factory() as s:
        community = await make_community(
            s, "Sunny Gardens", admin_chat_id=CHAT, is_forum=False, locale="en"
        )
        unit = await make_unit(s, community, "B1", "101")
        await make_staff(s, community, MANAGER, "Li Manager", StaffRole.MANAGER, locale="en")
        await make_resident(s, unit, RESIDENT, "Zhang San", role=ResidencyRole.OWNER, locale="en")
        await s.commit()
    group = emulator.group(CHAT, "Sunny Gardens office")
    group.add_member(MANAGER, "Li", "administrator", language_code="en")
    resident = emulator.user(RESIDENT, "Zhang", language_code="en")
    await resident.send("/start")
    home = await resident.expect("Zhang")
    await group.send(MANAGER, "/staff")
    staff_msg = await group.expect("Li")

    problems = []
    for cls in every_button_class():
        garbled, plausible = forged(cls)
        for chat_id, user_id, msg in ((RESIDENT, RESIDENT, home), (CHAT, MANAGER, staff_msg)):
            for data in garbled + plausible:
                answer = await _press(emulator, chat_id, user_id, msg, data)
                text = (answer or {}).get("text") or ""
                if answer is None or APOLOGY in text or (data in garbled and text != STALE):
                    problems.append((chat_id, data, text))
    assert problems == []
    await resident.expect_nothing(within=0.3, text_contains=APOLOGY)
    await group.expect_nothing(within=0.1, text_contains=APOLOGY)
