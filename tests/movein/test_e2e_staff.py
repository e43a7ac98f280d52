"""End to end in the admin group: /setup, staff management, residents of a unit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from access.gates import create_gate
from access.sync.admin import create_agent
from core.models import Community, Residency, ResidencyStatus, Staff, StaffRole
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit
from tests.harness import idle
from tests.movein.helpers import audit_actions

CHAT = -1009876543210


async def _community(session_factory, name="Sunny Garden", *, bound=False, manager="Manager Li"):
    async with session_factory() as s:
        community = await make_community(
            s, name, admin_chat_id=CHAT if bound else None, is_forum=False, locale="en"
        )
        await make_staff(s, community, 900, manager, StaffRole.MANAGER, locale="en")
        await s.commit()
        return community


async def test_setup_binds_the_group_and_names_missing_rights(
    running_bot, emulator, session_factory
):
    await _community(session_factory)
    group = emulator.group(
        CHAT,
        "Staff",
        is_forum=True,
        bot_rights={"can_pin_messages": False, "can_manage_topics": False},
    )
    group.add_member(900, "Manager Li", "administrator")
    group.add_member(901, "Someone")

    await group.send(901, "/setup")
    refused = await group.expect("Only a manager")
    assert "courtyard add-staff" in refused["text"]
    assert await audit_actions(session_factory, action="setup.bind", allowed=False)

    await group.send(900, "/setup")
    reply = await group.expect("is now the staff group of Sunny Garden")
    assert "pin messages" in reply["text"] and "manage topics" in reply["text"]
    assert "delete messages" not in reply["text"]
    async with session_factory() as s:
        community = await s.scalar(select(Community))
        assert community.admin_chat_id == CHAT and community.admin_chat_is_forum

    # Another community cannot take the same group; a non-manager cannot re-run it.
    await group.send(901, "/setup")
    again = await group.expect(regex="Only .*manager")
    assert again


async def test_setup_when_the_bot_is_not_admin(running_bot, emulator, session_factory):
    await _community(session_factory)
    group = emulator.group(CHAT, "Staff", bot_is_admin=False)
    group.add_member(900, "Manager Li")
    await group.send(900, "/setup")
    reply = await group.expect("is now the staff group")
    assert "not an administrator" in reply["text"]


async def test_managers_add_change_and_remove_staff(running_bot, emulator, session_factory):
    community = await _community(session_factory, bound=True)
    group = emulator.group(CHAT, "Staff")
    group.add_member(900, "Manager Li", "administrator")
    group.add_member(905, "Guard Zhao")
    group.add_member(906, "Nosy Neighbour")
    hello = await group.send(905, "hello everyone")

    await group.send(906, "/addstaff", reply_to=hello)
    await group.expect("Only manager")
    await group.send(900, "/addstaff", reply_to=hello)
    roles = await group.expect("Which role for Guard Zhao?")
    refused = await group.press(roles, "guard", from_user=906)
    assert refused["show_alert"]
    await group.press(roles, "guard", from_user=900)
    await group.expect_edit(roles, text_contains="Guard Zhao is now guard of Sunny Garden")

    await group.send(900, "/staff")
    listing = await group.expect("Staff of Sunny Garden")
    assert "Guard Zhao — guard" in listing["text"]
    await group.press(listing, "Guard Zhao · guard", from_user=900)
    detail = await group.expect_edit(listing, text_contains="Choose a new role")
    await group.press(detail, "technician", from_user=900)
    await group.expect_edit(listing, text_contains="Guard Zhao: technician")
    # The last manager cannot demote themselves.
    await group.press(detail, "⬅ Back", from_user=900)
    listing = await group.expect_edit(listing, text_contains="Staff of Sunny Garden")
    await group.press(listing, "Manager Li · manager", from_user=900)
    detail = await group.expect_edit(listing, text_contains="Manager Li: manager")
    answer = await group.press(detail, "guard", from_user=900)
    assert "at least one manager" in answer["text"]

    await group.press(detail, "⬅ Back", from_user=900)
    listing = await group.expect_edit(listing, text_contains="Staff of Sunny Garden")
    await group.press(listing, "Guard Zhao · technician", from_user=900)
    detail = await group.expect_edit(listing, text_contains="Choose a new role")
    await group.press(detail, "🗑 Remove from staff", from_user=900)
    confirm = await group.expect_edit(listing, text_contains="Remove Guard Zhao")
    await group.press(confirm, "Yes, remove", from_user=900)
    await group.expect_edit(listing, text_contains="Guard Zhao is no longer staff")
    await idle(running_bot)
    async with session_factory() as s:
        rows = (await s.scalars(select(Staff).where(Staff.community_id == community.id))).all()
        assert {(r.role, r.active) for r in rows} == {
            (StaffRole.MANAGER, True),
            (StaffRole.TECHNICIAN, False),
        }
    actions = [e.action for e in await audit_actions(session_factory) if e.allowed]
    assert {"staff.added", "staff.role_changed", "staff.removed"} <= set(actions)
    refusals = await audit_actions(session_factory, wait_for=2, allowed=False)
    assert {r.action for r in refusals} == {"staff.add"}


async def test_staff_end_a_residency_from_the_group(running_bot, emulator, session_factory):
    # A manager bootstrapped by the operator without a name: learnt from Telegram.
    community = await _community(session_factory, bound=True, manager="")
    async with session_factory() as s:
        unit = await make_unit(s, community, "3栋", "1201")
        _person, residency = await make_resident(s, unit, 7777, "Tenant Wu", locale="en")
        # An offline gate agent serves the community: staff are told its delay.
        gate = await create_gate(s, secret_key=TEST_SECRET, community_id=community.id, name="E")
        await create_agent(
            s,
            secret_key=TEST_SECRET,
            community_id=community.id,
            name="box",
            gate_ids=[gate.gate.id],
        )
        await s.commit()
    tenant = emulator.user(7777, "Tenant", language_code="en")
    group = emulator.group(CHAT, "Staff")
    group.add_member(900, "Manager Li", "administrator")
    await group.send(900, "/residents 3栋-9999")
    await group.expect("There is no unit")
    await group.send(900, "/residents 3栋-1201")
    listing = await group.expect("Residents of 3栋-1201")
    assert "Tenant Wu" in listing["text"]
    await group.press(listing, "End residency of Tenant Wu", from_user=900)
    confirm = await group.expect("End the residency of Tenant Wu")
    await group.press(confirm, "Yes, end it", from_user=900)
    ended = await group.expect_edit(confirm, text_contains="ended by Manager Li")
    assert "stop accepting their gate QR and passes within 5 seconds" in ended["text"]
    await tenant.expect("has ended your residency in 3栋-1201")
    returned = await group.expect("Collect keys and access card", button="🔑 Keys returned")
    await group.press(returned, "🔑 Keys returned", from_user=900)
    await group.expect_edit(returned, text_contains="returned to Manager Li")
    async with session_factory() as s:
        fresh = await s.get(Residency, residency.id)
        assert fresh.status == ResidencyStatus.ENDED


@pytest.mark.parametrize(
    ("locale", "command", "end", "cancel", "kept"),
    [
        ("en", "/residents 3栋-1201", "End residency of 吴租户", "✖ Cancel", "Cancelled: 吴租户"),
        ("zh_Hans", "/residents 3栋-1201", "结束吴租户的入住", "✖ 取消", "已取消：吴租户"),
    ],
)
async def test_staff_can_cancel_ending_a_residency(
    running_bot, emulator, session_factory, locale, command, end, cancel, kept
):
    # Issue 21, item 20: the end-residency confirmation has a Cancel, in the group's
    # language; only those who may end a residency may cancel it, and nothing changes.
    async with session_factory() as s:
        community = await make_community(
            s, "Sunny Garden", admin_chat_id=CHAT, is_forum=False, locale=locale
        )
        await make_staff(s, community, 900, "Manager Li", StaffRole.MANAGER, locale=locale)
        await make_staff(s, community, 905, "Guard Zhao", StaffRole.GUARD, locale=locale)
        unit = await make_unit(s, community, "3栋", "1201")
        _person, residency = await make_resident(s, unit, 7777, "吴租户", locale=locale)
        await s.commit()
    tenant = emulator.user(7777, "Tenant", language_code="en")
    group = emulator.group(CHAT, "Staff")
    group.add_member(900, "Manager Li", "administrator")
    group.add_member(905, "Guard Zhao")
    await group.send(900, command)
    listing = await group.expect("3栋-1201", button=end)
    await group.press(listing, end, from_user=900)
    confirm = await group.expect(button=cancel)
    refused = await group.press(confirm, cancel, from_user=905)
    assert refused["show_alert"]
    await group.press(confirm, cancel, from_user=900)
    edited = await group.expect_edit(confirm, text_contains=kept)
    assert "3栋-1201" in edited["text"] and not edited.get("reply_markup")
    await idle(running_bot)
    await tenant.expect_nothing()
    async with session_factory() as s:
        fresh = await s.get(Residency, residency.id)
        assert fresh.status == ResidencyStatus.ACTIVE
    refusals = await audit_actions(session_factory, wait_for=1, allowed=False)
    assert [r.action for r in refusals] == ["residency.end"]
