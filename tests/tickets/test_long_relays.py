"""Relays longer than one Telegram message (issue 21, item 9): split into numbered
parts, nothing lost, and the sender is told."""

from __future__ import annotations

from bot.emulator.formatting import utf16_len
from tests.tickets.conftest import TECH_ID
from tests.tickets.test_e2e import _file_urgent_repair_with_photos


async def test_long_messages_both_ways_arrive_whole_in_parts(running_bot, world):
    resident, group = world.resident_chat, world.group
    filed = await _file_urgent_repair_with_photos(resident, photos=2)
    topic = group.topic("#1 Repair · 3栋-1201 · Urgent")
    await group.expect("#1 Repair · Water", thread_id=topic.thread_id)

    # ~4,080 characters from staff, an emoji among them (two UTF-16 units).
    long_text = ("Pipe check, valve & seal. " * 200)[:4070] + " 🔧 done."
    await group.send(TECH_ID, long_text, thread_id=topic.thread_id)
    first = await resident.expect("(1/2)")
    second = await resident.expect("(2/2)")
    assert all(utf16_len(m["text"]) <= 4096 for m in (first, second))
    body = first["text"].split("\n", 1)[1] + " " + second["text"].split("\n", 1)[1]
    assert body == long_text  # split at a space, nothing lost
    told = await group.expect("in 2 parts", thread_id=topic.thread_id)
    assert "/cancel" not in told["text"]

    # The resident's long reply reaches the topic whole, and they are told how.
    reply = ("漏水很严重，" * 700)[:4090]  # with the header, over one message
    await resident.reply(filed, reply)
    parts = [
        await group.expect("(1/2)", thread_id=topic.thread_id),
        await group.expect("(2/2)", thread_id=topic.thread_id),
    ]
    assert "".join(p["text"].split("\n", 1)[1] for p in parts) == reply
    done = await resident.expect("Sent to the staff (#1), in 2 parts")
    assert "try again" not in done["text"]


async def test_a_failure_in_a_group_apologises_without_cancel(settings, emulator, world):
    from aiogram import F, Router

    from tests.harness import start_bot

    broken = Router(name="broken")

    @broken.message(F.text == "boom")
    async def fail(message) -> None:
        raise RuntimeError("a bug")

    async with start_bot(settings, emulator, extra_routers=[broken]):
        await world.group.send(TECH_ID, "boom")
        apology = await world.group.expect("Sorry, something went wrong")
        assert "/cancel" not in apology["text"]
