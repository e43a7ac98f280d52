"""End to end for residents after moving in: family members, profile and move-out,
/privacy (see, download, delete)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from access.gates import create_gate
from access.passes import issue_visitor_pass
from core.clock import SystemClock
from core.db import utcnow
from core.lifecycle import _hooks, on_residency_ended
from core.models import Person, Residency, ResidencyRole, ResidencyStatus, StaffRole
from core.tickets import service as tickets
from core.tickets.models import RepairCategory, TicketKind
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit

CHAT = -1005555555555
ACCEPT = "✅ I have read and accept"


async def _home(session_factory):
    async with session_factory() as s:
        community = await make_community(
            s, "Sunny Garden", admin_chat_id=CHAT, is_forum=False, locale="en"
        )
        unit = await make_unit(s, community, "3栋", "1201")
        owner, residency = await make_resident(s, unit, 8001, "Owner Chen", locale="en")
        await make_staff(s, community, 900, "Manager Li", StaffRole.MANAGER, locale="en")
        await s.commit()
        return community, unit, owner, residency


async def test_owner_adds_family_members(running_bot, emulator, session_factory):
    await _home(session_factory)
    group = emulator.group(CHAT, "Staff")
    owner = emulator.user(8001, "Owner", language_code="en")
    await owner.send("/start")
    home = await owner.expect(button="👪 Add family member")
    await owner.press(home, "👪 Add family member")
    menu = await owner.expect(
        "Family members in 3栋-1201", button="👶 Add someone without Telegram"
    )
    await owner.press(menu, "👶 Add someone without Telegram")
    await owner.expect("full name")
    await owner.send("Chen Xiaobao")
    home = await owner.expect(
        "Chen Xiaobao is now registered as a family member in 3栋-1201",
        button="👪 Add family member",  # the home menu comes back
    )
    await owner.press(home, "👪 Add family member")
    menu = await owner.expect("Chen Xiaobao", button="🔗 Invite someone with Telegram")
    await owner.press(menu, "🔗 Invite someone with Telegram")
    invite = await owner.expect("You are invited to join 3栋-1201")
    link = next(w for w in invite["text"].split() if w.startswith("https://t.me/"))
    payload = link.split("start=")[1]

    spouse = emulator.user(8002, "Spouse", language_code="en")
    await spouse.send(f"/start {payload}")
    await spouse.expect("Invitation to 3栋-1201")
    await spouse.expect("Your full name")  # no role question: the owner invited family
    await spouse.send("Wang Fang")
    await spouse.expect("phone number")
    await spouse.send_contact("+8613500005555")
    for _ in range(2):
        doc = await spouse.expect(button=ACCEPT)
        await spouse.press(doc, ACCEPT)
    await spouse.expect("registered in 3栋-1201 (Sunny Garden) as family member")
    await group.expect("Wang Fang")
    # The link was for one person.
    other = emulator.user(8003, "Other", language_code="en")
    await other.send(f"/start {payload}")
    await other.expect("already been used")
    async with session_factory() as s:
        roles = (
            await s.scalars(
                select(Residency.role).where(Residency.status == ResidencyStatus.ACTIVE)
            )
        ).all()
        assert sorted(roles) == sorted(
            [ResidencyRole.OWNER, ResidencyRole.FAMILY, ResidencyRole.FAMILY]
        )


async def test_profile_and_move_out_revokes_everything(running_bot, emulator, session_factory):
    _, _, _, residency = await _home(session_factory)
    revoked: list[int] = []

    @on_residency_ended("test.passes")
    async def revoke(session, r):
        revoked.append(r.id)

    try:
        group = emulator.group(CHAT, "Staff")
        owner = emulator.user(8001, "Owner", language_code="en")
        await owner.send("/profile")
        profile = await owner.expect("Your homes", button="🚪 Move out of 3栋-1201")
        assert "3栋-1201, Sunny Garden — owner" in profile["text"]
        await owner.press(profile, "🚪 Move out of 3栋-1201")
        confirm = await owner.expect_edit(profile, text_contains="Move out of 3栋-1201?")
        await owner.press(confirm, "Yes, I have moved out")
        await owner.expect_edit(profile, text_contains="You have moved out of 3栋-1201")
        home = await owner.expect("What can I do for you?")
        assert "🏠 Move in" in str(home["reply_markup"])
        await group.expect("Collect keys and access card from Owner Chen (3栋-1201)")
        assert revoked == [residency.id]
    finally:
        _hooks.pop("test.passes", None)


async def test_privacy_shows_exports_and_deletes(running_bot, emulator, session_factory):
    community, unit, person, residency = await _home(session_factory)
    async with session_factory() as s:  # a repair and a visitor pass to find in the export
        await tickets.file_ticket(
            s,
            SystemClock(),
            community=community,
            reporter_person_id=person.id,
            kind=TicketKind.REPAIR,
            category=RepairCategory.WATER,
            description="Kitchen tap drips",
            unit_id=unit.id,
        )
        await create_gate(s, secret_key=TEST_SECRET, community_id=community.id, name="East")
        now = utcnow()
        visitor = await issue_visitor_pass(
            s,
            secret_key=TEST_SECRET,
            now=now,
            host_person_id=person.id,
            host_unit_id=unit.id,
            holder_name="Aunt May",
            purpose="visit",
            valid_from=now,
            valid_until=now + timedelta(hours=2),
            multi_entry=False,
            gate_ids=[],
        )
        await s.commit()
    owner = emulator.user(8001, "Owner", language_code="en")
    await owner.send("/privacy")
    shown = await owner.expect("What we keep about you", button="📥 Download my data")
    assert "Owner Chen" in shown["text"] and "+8613800000000" in shown["text"]
    await owner.press(shown, "📥 Download my data")
    export = await owner.expect(document=True)
    assert export["document"]["file_name"] == "courtyard-my-data.json"
    data = json.loads(emulator.core.files.get(export["document"]["file_id"]).data)
    assert data["person"]["full_name"] == "Owner Chen"
    assert data["residencies"][0]["unit"] == "3栋-1201"
    assert data["tickets"][0]["description"] == "Kitchen tap drips"
    assert data["access"]["passes"][0]["name"] == "Aunt May"
    assert data["fees"] == {"payments": [], "invoices": [], "sent_to_me": []}
    raw = emulator.core.files.get(export["document"]["file_id"]).data.decode()
    assert visitor.code not in raw and visitor.token not in raw and visitor.share_key not in raw

    await owner.press(shown, "🗑 Delete my data")
    confirm = await owner.expect_edit(shown, text_contains="cannot be undone")
    await owner.press(confirm, "Yes, delete everything")
    await owner.expect_edit(shown, text_contains="Your data is deleted")
    async with session_factory() as s:
        gone = await s.get(Person, person.id)
        assert (gone.telegram_id, gone.full_name, gone.phone) == (None, "", None)
        assert (await s.get(Residency, residency.id)).status == ResidencyStatus.ENDED
    # Writing again starts afresh, as a stranger.
    await owner.send("/start")
    again = await owner.expect(button="🏠 Move in")
    assert "Welcome to Courtyard" in again["text"]


async def test_staff_cannot_erase_themselves(running_bot, emulator, session_factory):
    await _home(session_factory)
    manager = emulator.user(900, "Manager", language_code="en")
    await manager.send("/privacy")
    shown = await manager.expect(button="🗑 Delete my data")
    await manager.press(shown, "🗑 Delete my data")
    confirm = await manager.expect_edit(shown, text_contains="cannot be undone")
    answer = await manager.press(confirm, "Yes, delete everything")
    assert "ask a manager to remove you" in answer["text"]
