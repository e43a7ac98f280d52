"""Tickets end to end: residents and staff acting through the Bot API emulator."""

from __future__ import annotations

from sqlalchemy import select

from core.tickets.models import DeadlineKind, Ticket, TicketStatus, Urgency
from tests.harness import idle
from tests.tickets.conftest import MANAGER_ID, TECH_ID, jpeg


async def _file_urgent_repair_with_photos(resident, photos: int = 3) -> dict:
    await resident.send("/ticket")
    msg = await resident.expect("What would you like to report?")
    await resident.press(msg, "🔧 Repair")
    msg = await resident.expect("What needs repairing?")
    await resident.press(msg, "Water")
    msg = await resident.expect("Where is it?")
    await resident.press(msg, "🏠 3栋-1201")
    await resident.expect("Describe the problem")
    await resident.send("The kitchen pipe is leaking under the sink")
    await resident.expect("Add up to 5 photos")
    await resident.send_media_group([jpeg(c) for c in ("red", "green", "blue")[:photos]])
    msg = await resident.expect("Got your album")
    await resident.expect_nothing(within=0.5, text_contains="Got your album")
    await resident.press(msg, "Done ➡️")
    msg = await resident.expect("How urgent is it?")
    await resident.press(msg, "🟠 Urgent")
    summary = await resident.expect("Please check your report")
    assert f"Attachments: {photos}" in summary["text"]
    assert "Repair · Water" in summary["text"]
    await resident.press(summary, "✅ Submit")
    return await resident.expect("ticket #1")


async def test_urgent_repair_from_filing_to_rating(running_bot, emulator, world, session):
    resident, group = world.resident_chat, world.group
    filed = await _file_urgent_repair_with_photos(resident)
    assert "Reply to this message" in filed["text"]

    # The admin forum gets a topic named with number, kind, unit and urgency…
    topic = group.topic("#1 Repair · 3栋-1201 · Urgent")
    card = await group.expect("#1 Repair · Water", thread_id=topic.thread_id)
    assert "Urgent" in card["text"] and "kitchen pipe" in card["text"]
    assert "On site: by" in card["text"] and "left" in card["text"]
    assert ["🙋 Take", "👤 Assign to…", "📍 On site", "✅ Resolved", "⛔ Reject"] == [
        b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row
    ]
    # … and the three photos, in the topic.
    photos = [m for m in group.thread(topic.thread_id) if "photo" in m]
    assert len(photos) == 3

    # Take: the card is edited in place, the resident hears who took it.
    await group.press(card, "🙋 Take", from_user=TECH_ID)
    edited = await group.expect_edit(card)
    assert "In progress — Zhang Tech" in edited["text"]
    assert "Taken: by" in edited["text"] and "done" in edited["text"]
    taken = await resident.expect("Zhang Tech has taken your ticket #1")

    # Staff → resident, with the ticket number; an internal note stays in the group.
    await group.send(TECH_ID, "On my way, ten minutes.", thread_id=topic.thread_id)
    relayed = await resident.expect("On my way, ten minutes.")
    assert "#1" in relayed["text"]
    await group.send(TECH_ID, "// check the valve stock first", thread_id=topic.thread_id)
    await resident.expect_nothing(within=0.6, text_contains="valve")
    await group.send_photo(
        TECH_ID, jpeg("white"), "The part we will fit", thread_id=topic.thread_id
    )
    photo = await resident.expect(photo=True)
    assert "#1" in photo["caption"] and "The part we will fit" in photo["caption"]
    await group.send_document(
        TECH_ID, b"%PDF-1.4 quote", "quote.pdf", caption="Quote", thread_id=topic.thread_id
    )
    document = await resident.expect(document=True)
    assert document["document"]["file_name"] == "quote.pdf" and "#1" in document["caption"]

    # Resident → staff by replying to a ticket message.
    await resident.reply(taken, "The door code is 1234")
    await resident.expect("Sent to the staff (#1)")
    in_topic = await group.expect("The door code is 1234", thread_id=topic.thread_id)
    assert "Wang Xiaoming" in in_topic["text"] and "#1" in in_topic["text"]

    await group.press(card, "📍 On site", from_user=TECH_ID)
    await resident.expect("Staff are on site for your ticket #1")
    await group.press(card, "✅ Resolved", from_user=TECH_ID)
    resolved = await resident.expect("marked your ticket #1 as resolved")
    await resident.press(resolved, "4⭐")
    ask = await resident.expect("Thanks for confirming #1")
    await resident.send("Quick and tidy work")
    await resident.expect("comment is saved")
    final = await group.expect_edit(card, text_contains="Quick and tidy work")
    assert "(4/5)" in final["text"]
    assert final.get("reply_markup") is None or not final["reply_markup"].get("inline_keyboard")
    assert ask is not None
    assert group.topics[topic.thread_id].name.startswith("✅#1")

    await idle(running_bot)  # the comment is saved when its update is done
    ticket = await session.scalar(select(Ticket))
    await session.refresh(ticket, ["deadlines"])
    assert ticket.status == TicketStatus.CLOSED and ticket.urgency == Urgency.URGENT
    assert (ticket.rating, ticket.rating_comment) == (4, "Quick and tidy work")
    assert len(ticket.media) == 3
    assert {d.kind for d in ticket.deadlines if d.met_at and d.met_at <= d.due_at} == {
        DeadlineKind.ACKNOWLEDGE,
        DeadlineKind.ON_SITE,
        DeadlineKind.RESOLVE,
    }


async def test_only_staff_may_work_a_ticket(running_bot, emulator, world):
    resident, group = world.resident_chat, world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    card = await group.expect("#1 Repair · Water")
    group.add_member(999, "Random Member")
    answer = await group.press(card, "🙋 Take", from_user=999)
    assert "Only" in (answer or {}).get("text", "")
    # Reject is for managers only.
    answer = await group.press(card, "⛔ Reject", from_user=TECH_ID)
    assert "manager" in (answer or {}).get("text", "")
    await group.press(card, "⛔ Reject", from_user=MANAGER_ID)
    await group.expect("send the reason for rejecting #1")
    topic_id = card["message_thread_id"]
    await group.send(MANAGER_ID, "This is inside the flat; call a plumber.", thread_id=topic_id)
    await resident.expect("Reason: This is inside the flat; call a plumber.")
    edited = await group.expect_edit(card, text_contains="Rejected:")
    assert "Take" not in str(edited.get("reply_markup"))


async def test_manager_assigns_from_the_staff_list(running_bot, emulator, world, session):
    resident, group = world.resident_chat, world.group
    await _file_urgent_repair_with_photos(resident, photos=2)
    card = await group.expect("#1 Repair · Water")
    answer = await group.press(card, "👤 Assign to…", from_user=TECH_ID)
    assert "manager" in (answer or {}).get("text", "")
    await group.press(card, "👤 Assign to…", from_user=MANAGER_ID)
    listing = await group.expect_edit(card, where=lambda m: "Zhang Tech (technician)" in str(m))
    assert "« Back" in str(listing["reply_markup"])
    await group.press(card, "Zhang Tech (technician)", from_user=MANAGER_ID)
    await group.expect("#1 is assigned to Zhang Tech", thread_id=card["message_thread_id"])
    await resident.expect("Zhang Tech is now in charge of your ticket #1")
    edited = group.get(card)
    assert "In progress — Zhang Tech" in edited["text"]
    assert "🙋 Take" not in str(edited["reply_markup"])
    await idle(running_bot)  # the assignment is saved when its update is done
    ticket = await session.scalar(select(Ticket))
    assert ticket.assignee_person_id == world.tech.id
