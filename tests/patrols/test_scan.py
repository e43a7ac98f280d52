"""Checkpoints end to end: a manager sets them up, a guard scans, strangers are refused."""

from __future__ import annotations

from sqlalchemy import select

from core.models import AuditEntry
from core.patrols.models import Checkpoint, CheckpointVisit
from tests.harness import idle
from tests.patrols.conftest import (
    GUARD_ID,
    MANAGER_ID,
    OTHER_GUARD_ID,
    RESIDENT_ID,
    jpeg,
    start_payload,
)


async def _add_checkpoints(group) -> None:
    await group.send(
        MANAGER_ID,
        "/checkpoint_add North gate | Building 3, north side | 31.2304, 121.4737 | photo",
    )
    added = await group.expect("Checkpoint #")
    assert "North gate" in added["text"] and "Location asked: yes" in added["text"]
    assert "Photo required: yes" in added["text"]
    await group.send(MANAGER_ID, "/checkpoint_add Bike shed | Basement B1")
    await group.expect("Bike shed")


async def test_guard_scans_with_location_and_photo(running_bot, emulator, world, session):
    group = world.group
    await _add_checkpoints(group)
    await group.send(MANAGER_ID, "/checkpoints")
    listing = await group.expect("Checkpoints: 2")
    assert "North gate" in listing["text"] and "location and photo" in listing["text"]
    assert "scan only" in listing["text"]
    sheet = await group.expect(document=True, timeout=30)
    assert sheet["document"]["file_name"] == "checkpoints.pdf"
    assert emulator.core.files.get(sheet["document"]["file_id"]).data.startswith(b"%PDF")

    await idle(running_bot)
    north, shed = (await session.scalars(select(Checkpoint).order_by(Checkpoint.id))).all()
    guard = emulator.user(GUARD_ID)
    await guard.send(f"/start {start_payload(north)}")
    await guard.expect("send your location")
    await guard.send("here")
    await guard.expect("needs your location")
    await guard.press_key("📍 Send my location", location=(31.2305, 121.4737))
    await guard.expect("a photo of the checkpoint")
    await guard.send("no photo")
    await guard.expect("needs a photo")
    await guard.send_photo(jpeg())
    done = await guard.expect("Visit recorded")
    assert "North gate" in done["text"] and "m from the checkpoint" in done["text"]

    await guard.send(f"/start {start_payload(shed)}")
    await guard.expect("Visit recorded: Bike shed")

    await idle(running_bot)
    visits = (await session.scalars(select(CheckpointVisit).order_by(CheckpointVisit.id))).all()
    assert [v.checkpoint_id for v in visits] == [north.id, shed.id]
    assert visits[0].person_id == world.guard.id and visits[0].photo_file_id
    assert visits[0].distance_m is not None and 5 < visits[0].distance_m < 20
    assert visits[1].distance_m is None


async def test_refusals_record_nothing_and_are_audited(running_bot, emulator, world, session):
    group = world.group
    await _add_checkpoints(group)
    await idle(running_bot)
    north = await session.scalar(select(Checkpoint).where(Checkpoint.name == "North gate"))
    assert north is not None
    good = start_payload(north)

    resident = emulator.user(RESIDENT_ID)
    await resident.send(f"/start {good}")
    await resident.expect("Only staff of this community")

    stranger = emulator.user(OTHER_GUARD_ID)
    await stranger.send(f"/start {good}")
    await stranger.expect("belongs to another community")

    guard = emulator.user(GUARD_ID)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    await guard.send(f"/start {forged}")
    await guard.expect("not valid")
    await guard.send(f"/start pc_{north.id + 50}_{good[-22:]}")
    await guard.expect("not valid")

    # A guard may not reissue; the manager's reissue voids the printed sheet.
    await group.send(GUARD_ID, "/checkpoints reissue")
    await group.expect("Only manager")
    await group.send(MANAGER_ID, "/checkpoints reissue")
    await group.expect("New links made")
    await idle(running_bot)
    await guard.send(f"/start {good}")
    await guard.expect("not valid")

    # A guard halfway through a scan when the sheet is reissued: nothing recorded.
    await session.refresh(north)
    await guard.send(f"/start {start_payload(north)}")
    await guard.expect("send your location")
    await group.send(MANAGER_ID, "/checkpoints reissue")
    await group.expect("New links made")
    await idle(running_bot)
    await guard.press_key("📍 Send my location", location=(31.2304, 121.4737))
    await guard.expect("a photo")
    await guard.send_photo(jpeg())
    await guard.expect("not valid")

    await idle(running_bot)
    assert (await session.scalars(select(CheckpointVisit))).all() == []
    refusals = (
        await session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "patrols.visit", AuditEntry.allowed.is_(False)
            )
        )
    ).all()
    reasons = [entry.details["reason"] for entry in refusals]
    assert reasons == [
        "not_staff",
        "other_community",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]


async def test_bad_setup_lines_are_explained(running_bot, emulator, world):
    group = world.group
    await group.send(MANAGER_ID, "/checkpoint_add Only a name")
    await group.expect("Usage: /checkpoint_add")
    await group.send(MANAGER_ID, "/checkpoint_add Gate | Place | north-ish")
    await group.expect("is not a location")
    await group.send(GUARD_ID, "/checkpoint_add Gate | Place")
    await group.expect("Only manager")
    await group.send(MANAGER_ID, "/checkpoint_add Gate | Place")
    await group.expect("Checkpoint #")
    await group.send(MANAGER_ID, "/checkpoint_add gate | Elsewhere")
    await group.expect("already exists")
    await group.send(MANAGER_ID, "/route_add Night | 1, 99 | 22:00-06:00/2h")
    await group.expect("not checkpoints here")
    await group.send(MANAGER_ID, "/route_add Night | 1 | 22:00-06:00/5m")
    await group.expect("is not a schedule")
    await group.send(MANAGER_ID, "/route_add Night | one | 22:00-06:00/2h")
    await group.expect("must be numbers")
    await group.send(MANAGER_ID, "/route_add Night | 1 | 22:00-06:00/2h")
    added = await group.expect("Route Night")
    assert "every 2 h from 22:00 to 06:00" in added["text"]


async def test_a_scan_in_the_middle_of_another_conversation(running_bot, emulator, world, session):
    group = world.group
    await group.send(MANAGER_ID, "/checkpoint_add Bike shed | Basement B1")
    await group.expect("Checkpoint #1")
    await idle(running_bot)
    shed = await session.scalar(select(Checkpoint))
    guard = emulator.user(GUARD_ID)
    await guard.send("/handover")  # a conversation that takes any text as its answer
    await guard.expect("1/4 Open matters")
    await guard.send(f"/start {start_payload(shed)}")
    await guard.expect("Visit recorded: Bike shed")
