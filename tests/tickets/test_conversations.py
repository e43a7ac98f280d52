"""The rest of the conversations: limits, common areas, emergencies, albums, non-forum
groups, unreachable residents, cancelling, reopening and reports."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from core.tickets import service
from core.tickets.models import (
    HazardType,
    Ticket,
    TicketDraftMedia,
    TicketKind,
    TicketStatus,
    Urgency,
)
from tests.harness import idle
from tests.tickets.conftest import MANAGER_ID, TECH_ID, attach_emulator, build_world, jpeg
from tests.tickets.test_e2e import _file_urgent_repair_with_photos


async def test_going_over_the_daily_limit_is_refused(running_bot, world, session):
    world.community.config = {"tickets": {"daily_limit": 2}}
    await session.commit()
    resident = world.resident_chat
    for _ in range(2):
        await service.file_ticket(
            session,
            running_bot.ctx.clock,
            community=world.community,
            reporter_person_id=world.resident.id,
            kind=TicketKind.SUGGESTION,
            description="More benches by the pond",
            unit_id=world.unit.id,
        )
        await session.commit()
    await resident.send("/ticket")
    refusal = await resident.expect("you have already filed 2 reports today")
    assert "try again tomorrow" in refusal["text"]
    await resident.send("/mytickets")
    await resident.expect("Your tickets")
    assert len((await session.scalars(select(Ticket))).all()) == 2


async def test_hazard_in_a_common_area_with_pin_and_emergency_phone(running_bot, world, session):
    resident, group = world.resident_chat, world.group
    await resident.send("/ticket")
    await resident.press(await resident.expect("What would you like to report?"), "⚠️ Hazard report")
    await resident.press(await resident.expect("What kind of hazard?"), "Blocked fire lane")
    await resident.press(await resident.expect("Where is it?"), "🌳 Common area")
    await resident.expect("Which common area?")
    # A photo before the description is kept for the report (issue 21, item 10).
    await resident.send_photo(jpeg())
    await resident.expect("Kept for your report. Now, where is it?")
    await resident.send("Building 5, north fire lane")
    await resident.expect("share a location pin")
    await resident.send_location(31.2304, 121.4737)
    await resident.expect("Describe the problem")
    await resident.send("A van has blocked the lane since this morning")
    await resident.press(await resident.expect("Add up to 5 photos"), "Skip ➡️")
    urgency = await resident.expect("How urgent is it?")
    await resident.send("urgent!")
    await resident.expect("Please choose one of the buttons above")
    await resident.press(urgency, "🔴 Emergency")
    phone = await resident.expect("call the duty phone right now")
    assert "+86 21 5555 0100" in phone["text"]
    summary = await resident.expect("Please check your report")
    assert "Building 5, north fire lane" in summary["text"]
    await resident.press(summary, "✅ Submit")
    filed = await resident.expect("ticket #1")
    assert "+86 21 5555 0100" in filed["text"]
    card = await group.expect("#1 Hazard report · Blocked fire lane")
    assert "Building 5, north fire lane" in card["text"]
    assert any("location" in m for m in group.thread(card["message_thread_id"]))
    ticket = await session.scalar(select(Ticket))
    assert ticket.kind == TicketKind.HAZARD and ticket.hazard == HazardType.FIRE_LANE
    assert ticket.urgency == Urgency.EMERGENCY and ticket.unit_id is None
    assert (round(ticket.latitude, 4), round(ticket.longitude, 4)) == (31.2304, 121.4737)
    assert len(ticket.media) == 1


async def test_a_description_typed_at_the_pin_step_keeps_the_place(running_bot, world, session):
    resident, group = world.resident_chat, world.group
    await resident.send("/ticket")
    await resident.press(await resident.expect("What would you like to report?"), "🔧 Repair")
    await resident.press(await resident.expect("What needs repairing?"), "Water")
    await resident.press(await resident.expect("Where is it?"), "🌳 Common area")
    await resident.expect("Which common area?")
    await resident.send("Building 5 lobby")
    await resident.expect("No pin needed?")
    # At "share a pin, or press Continue" the resident describes the problem instead.
    await resident.send("The tap in the lobby washroom drips all night")
    kept = await resident.expect("The place stays “Building 5 lobby”")
    assert "description" in kept["text"]
    await resident.press(await resident.expect("Add up to 5 photos"), "Skip ➡️")
    await resident.press(await resident.expect("How urgent is it?"), "Normal")
    summary = await resident.expect("Please check your report")
    assert "Building 5 lobby" in summary["text"] and "drips all night" in summary["text"]
    await resident.press(summary, "✅ Submit")
    await resident.expect("ticket #1")
    assert group.topic("#1 Repair · Building 5 lobby · Normal")
    ticket = await session.scalar(select(Ticket))
    assert ticket.location_text == "Building 5 lobby"
    assert ticket.description == "The tap in the lobby washroom drips all night"


async def _until_draft_has(session, count: int) -> None:
    for _ in range(200):
        accepted = await session.scalar(
            select(func.count(TicketDraftMedia.id)).where(TicketDraftMedia.accepted.is_(True))
        )
        if accepted == count:
            return
        await session.rollback()
        await asyncio.sleep(0.05)
    raise AssertionError(f"the draft never had {count} items")


async def test_an_album_over_the_limit_keeps_five_photos(running_bot, world, session):
    resident = world.resident_chat
    await resident.send("/ticket")
    await resident.press(await resident.expect("What would you like to report?"), "📣 Complaint")
    await resident.expect("Describe the problem")
    await resident.send("Loud renovation work after 22:00 every night")
    await resident.expect("Add up to 5 photos")
    await resident.send_media_group([jpeg(c) for c in ("red", "green", "blue", "white", "black")])
    await resident.expect("Got your album")
    await _until_draft_has(session, 5)  # every item of the first album is in
    await resident.send_media_group([jpeg(c) for c in ("yellow", "gray")])
    done = await resident.expect("Only 5 photos fit")
    await resident.send("here you go")
    await resident.expect("Please send photos or one video")
    await resident.press(done, "Done ➡️")
    summary = await resident.expect("Please check your report")
    assert "Attachments: 5" in summary["text"]
    await resident.press(summary, "✅ Submit")
    await resident.expect("ticket #1")
    ticket = await session.scalar(select(Ticket))
    assert len(ticket.media) == 5 and ticket.kind == TicketKind.COMPLAINT


async def test_cancel_from_my_tickets(running_bot, world, session):
    resident, group = world.resident_chat, world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    card = await group.expect("#1 Repair · Water")
    await resident.send("/mytickets")
    listing = await resident.expect("Your tickets")
    await resident.press(listing, "🔧 #1 Repair · New")
    detail = await resident.expect("History")
    assert "Filed" in detail["text"] and "On site by" in detail["text"]
    await resident.press(detail, "✖️ Cancel this ticket")
    await resident.press(await resident.expect("Cancel ticket #1?"), "Yes, cancel it")
    await resident.expect("Ticket #1 is cancelled")
    await group.expect("The resident cancelled this ticket", thread_id=card["message_thread_id"])
    await group.expect_edit(card, text_contains="Cancelled")
    await idle(running_bot)  # the cancel is saved when its update is done
    ticket = await session.scalar(select(Ticket))
    assert ticket.status == TicketStatus.CANCELLED


async def test_reopen_and_write_from_my_tickets(running_bot, world, session):
    resident, group = world.resident_chat, world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    card = await group.expect("#1 Repair · Water")
    topic = card["message_thread_id"]
    await group.press(card, "🙋 Take", from_user=TECH_ID)
    await group.press(card, "✅ Resolved", from_user=TECH_ID)
    resolved = await resident.expect("marked your ticket #1 as resolved")
    await resident.press(resolved, "🔁 Not fixed — reopen")
    await resident.expect("What is still not right?")
    await resident.send("Still dripping")
    await resident.expect("Ticket #1 is reopened")
    reopened = await group.expect("reopened this ticket: Still dripping", thread_id=topic)
    assert "Zhang Tech" in reopened["text"]
    await resident.send("/mytickets")
    await resident.press(await resident.expect("Your tickets"), "🔧 #1 Repair · In progress")
    detail = await resident.expect("History")
    await resident.press(detail, "✉️ Write to staff")
    await resident.expect("Send your message for the staff about #1")
    await resident.send_photo(jpeg("blue"))
    await resident.expect("Sent to the staff (#1)")
    photo = await group.expect(
        photo=True, thread_id=topic, where=lambda m: "Wang" in m.get("caption", "")
    )
    assert "#1" in photo["caption"]
    ticket = await session.scalar(select(Ticket))
    assert ticket.status == TicketStatus.TAKEN and ticket.reopen_count == 1


async def test_report_with_chart(running_bot, world, session):
    resident, group = world.resident_chat, world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    card = await group.expect("#1 Repair · Water")
    await group.press(card, "📍 On site", from_user=TECH_ID)
    await group.press(card, "✅ Resolved", from_user=TECH_ID)
    await resident.press(await resident.expect("as resolved"), "5⭐")
    await resident.expect("Thanks for confirming")
    await idle(running_bot)  # the rating is saved when its update is done
    await group.send(MANAGER_ID, "/report tickets")
    text = await group.expect("Tickets —")
    assert "Filed: 1" in text["text"] and "Repair 1" in text["text"]
    assert "On site: 100% (1 of 1)" in text["text"]
    assert "Average rating: 5.0 / 5 (1 ratings)" in text["text"]
    chart = await group.expect(photo=True, timeout=60)
    assert chart["photo"]
    await group.send(MANAGER_ID, "/report tickets 13/2026")
    # Waits for the chart above: one update at a time per chat and user.
    await group.expect("Usage: /report tickets", timeout=60)


@pytest.fixture
async def plain_world(session, emulator):
    return attach_emulator(await build_world(session, forum=False), emulator, forum=False)


async def test_non_forum_group_relays_through_replies_and_reports_unreachable(
    running_bot, plain_world, session
):
    resident, group = plain_world.resident_chat, plain_world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    card = await group.expect("#1 Repair · Water")
    assert "message_thread_id" not in card and "Reply to this message" in card["text"]
    assert not group.topics
    # The card is posted before the filing commits (a person never replies that fast;
    # on a loaded PostgreSQL the test did, and its reply found no ticket yet).
    await idle(running_bot)
    await group.send(TECH_ID, "Which floor is the valve on?", reply_to=card)
    question = await resident.expect("Which floor is the valve on?")
    await idle(running_bot)  # the relay is recorded when the staff update commits
    await resident.reply(question, "Under the sink, left side")
    relayed = await group.expect("Under the sink, left side")
    assert relayed["reply_to_message"]["message_id"] == card["message_id"]
    await group.send(TECH_ID, "// internal: bring a 20mm wrench", reply_to=relayed)
    await resident.expect_nothing(within=0.6, text_contains="wrench")
    resident.block_bot()
    await group.send(TECH_ID, "Coming at 3 pm", reply_to=card)
    warning = await group.expect("Not delivered to the resident: they have blocked the bot")
    assert warning["reply_to_message"]["message_id"] == card["message_id"]


@pytest.fixture
async def zh_world(session, emulator):
    return attach_emulator(await build_world(session, locale="zh_Hans"), emulator)


async def test_chinese_resident_and_group(running_bot, zh_world, session):
    resident, group = zh_world.resident_chat, zh_world.group
    await resident.send("/ticket")
    await resident.press(await resident.expect("您要报什么事？"), "💡 建议")
    await resident.expect("请用一条消息描述问题")
    await resident.send("希望在池塘边多放几张长椅")
    await resident.press(await resident.expect("可添加最多 5 张照片"), "跳过 ➡️")
    summary = await resident.expect("请核对您的报事内容")
    await resident.press(summary, "✅ 提交")
    await resident.expect("您的报事已登记为工单")
    card = await group.expect("#1 建议")
    assert "首次答复" in card["text"] and "🙋 接单" in str(card["reply_markup"])
    assert group.topic("#1 建议 · 3栋-1201 · 普通")
