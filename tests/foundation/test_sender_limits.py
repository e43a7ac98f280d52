"""The one sender every outgoing message passes (bot/sender.py), against the Bot API
emulator: Telegram's 429s are waited out, the rate limits space the sends, and a message
that cannot be delivered is recorded.

Timing is checked only as lower bounds on the emulator's recorded send times, counted
from the moment the sends were started: a slow machine makes sends later, never earlier.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from bot.app import Application
from bot.emulator import ApiCall, Emulator, FloodLimits
from bot.sender import deliver
from bot.settings import Settings
from core.models import DeliveryFailure
from tests.harness import start_bot

# Recorded times come from time.time(), the sender's waits from the monotonic clock.
SLACK = 0.02
GROUP_ID = -1001000000099


@contextlib.asynccontextmanager
async def bot_with(
    settings: Settings, emulator: Emulator, **limits: Any
) -> AsyncIterator[Application]:
    """The real application with these sender settings, polling the emulator."""
    async with start_bot(settings.model_copy(update=limits), emulator) as app:
        yield app


def sends(emulator: Emulator, chat_ids: set[int] | None = None) -> list[ApiCall]:
    """sendMessage calls as the emulator recorded them, in order."""
    return [
        c
        for c in emulator.calls_of("sendMessage")
        if chat_ids is None or int(c.params["chat_id"]) in chat_ids
    ]


def delivered_times(emulator: Emulator, chat_ids: set[int]) -> list[float]:
    return sorted(c.time for c in sends(emulator, chat_ids) if c.ok)


# --- 429: waited out, then delivered once ------------------------------------------------------


async def test_flood_429_is_waited_out_and_the_message_delivered_once(settings, emulator):
    # Telegram's 1 message/s per private chat: the sender's burst of 3 trips it.
    emulator.flood_limits = FloodLimits(private_per_second=1, group_per_minute=20)
    user = emulator.user(701, "Ann", language_code="en")
    async with bot_with(settings, emulator) as app:
        await app.bot.send_message(701, "first")
        second = await app.bot.send_message(701, "second")  # returns once delivered
        calls = sends(emulator, {701})
        assert [(c.ok, c.error_code) for c in calls] == [(True, None), (False, 429), (True, None)]
        refused, retried = calls[1], calls[2]
        assert refused.description == "Too Many Requests: retry after 1"
        # The sender waited the retry_after (1 s) before asking again.
        assert retried.time - refused.time >= 1.0 - SLACK
        # The person sees each message once, in order.
        assert [m["text"] for m in user.messages] == ["first", "second"]
        assert user.messages[-1]["message_id"] == second.message_id
        await user.expect(text="first")
        await user.expect(text="second")
        await user.expect_nothing(within=0.3)


async def test_a_429_in_a_group_holds_only_that_group(settings, emulator):
    """While one chat waits out its 429, messages to other chats go on."""
    emulator.flood_limits = FloodLimits(private_per_second=1, group_per_minute=1)
    group = emulator.group(GROUP_ID, "Staff")
    user = emulator.user(702, "Ben", language_code="en")
    async with bot_with(settings, emulator) as app:
        await app.bot.send_message(GROUP_ID, "alert 1")
        waiting = asyncio.create_task(app.bot.send_message(GROUP_ID, "alert 2"))
        # The emulator refuses "alert 2" for about a minute; meanwhile a private message
        # goes through at once.
        for _ in range(500):
            if any(not c.ok for c in sends(emulator, {GROUP_ID})):
                break
            await asyncio.sleep(0.01)
        await app.bot.send_message(702, "your repair is booked")
        await user.expect(text="your repair is booked")
        assert not waiting.done()
        refused = [c for c in sends(emulator, {GROUP_ID}) if not c.ok]
        assert [c.error_code for c in refused] == [429]
        assert int(refused[0].description.rsplit(" ", 1)[1]) >= 50  # ~ a minute to wait
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    assert [m["text"] for m in group.messages] == ["alert 1"]


# --- the rate limits ---------------------------------------------------------------------------


async def test_global_rate_spaces_sends_to_many_chats(settings, emulator):
    """COURTYARD_SEND_RATE_GLOBAL=10: a burst of 10, then no faster than 10 per second."""
    chats = set(range(801, 826))  # 25 people
    for chat in chats:
        emulator.user(chat, f"P{chat}", language_code="en")
    async with bot_with(settings, emulator, send_rate_global=10.0) as app:
        started = time.time()
        await asyncio.gather(*(app.bot.send_message(c, f"notice {c}") for c in sorted(chats)))
    times = delivered_times(emulator, chats)
    assert len(times) == 25 and all(c.ok for c in sends(emulator, chats))
    # The k-th send (from 0) cannot come before (k - 9) / 10 s after the start.
    for k, at in enumerate(times):
        assert at - started >= max(0.0, (k - 9) / 10) - SLACK, (k, at - started)
    assert times[-1] - started >= 1.5 - SLACK
    for chat in chats:
        assert [m["text"] for m in emulator.user(chat).messages] == [f"notice {chat}"]


async def test_global_rate_holds_in_every_second(settings, emulator):
    """At most COURTYARD_SEND_RATE_GLOBAL sends in any one second (Telegram's ~30/s):
    21 sends at 10/s take 2 s."""
    chats = set(range(851, 872))
    for chat in chats:
        emulator.user(chat, f"P{chat}", language_code="en")
    async with bot_with(settings, emulator, send_rate_global=10.0) as app:
        await asyncio.gather(*(app.bot.send_message(c, "notice") for c in sorted(chats)))
    times = delivered_times(emulator, chats)
    assert len(times) == 21
    # Measured on a window a little shorter than a second, to allow for jitter.
    busiest = max(sum(1 for t in times if start <= t < start + 0.9) for start in times)
    assert busiest <= 10, f"{busiest} sends within 0.9 s at 10/s"


async def test_private_chat_burst_of_three_then_the_interval(settings, emulator):
    """Per private chat: a burst of 3 (a multi-part answer), then one per
    COURTYARD_SEND_INTERVAL_PRIVATE_S, in order."""
    user = emulator.user(901, "Cai", language_code="en")
    async with bot_with(settings, emulator, send_interval_private_s=0.5) as app:
        started = time.time()
        for n in range(1, 7):
            await app.bot.send_message(901, f"part {n}")
    assert [m["text"] for m in user.messages] == [f"part {n}" for n in range(1, 7)]
    times = delivered_times(emulator, {901})
    # part 4 no earlier than 0.5 s, part 5 than 1.0 s, part 6 than 1.5 s.
    for k, at in enumerate(times):
        assert at - started >= max(0.0, (k - 2) * 0.5) - SLACK, (k, at - started)
    assert times[-1] - times[0] >= 1.5 - SLACK


async def test_group_burst_then_an_even_pace(settings, emulator):
    """Per group: a burst of 5, then one every 3 s (COURTYARD_SEND_PER_MINUTE_GROUP=20);
    private chats are not held back meanwhile. (No 21 within a minute: tested on the
    limiter's bookings in test_i18n_storage, a real minute is too long for a test.)"""
    group = emulator.group(GROUP_ID, "Staff")
    user = emulator.user(903, "Eve", language_code="en")
    async with bot_with(settings, emulator, send_interval_private_s=0.01) as app:
        started = time.time()
        for n in range(1, 6):
            await app.bot.send_message(GROUP_ID, f"card {n}")
        burst_done = time.time()
        last = asyncio.create_task(app.bot.send_message(GROUP_ID, "card 6"))
        await app.bot.send_message(903, "meanwhile")
        private_at = time.time()
        await user.expect(text="meanwhile")
        await asyncio.wait_for(last, 15)
    times = delivered_times(emulator, {GROUP_ID})
    assert [m["text"] for m in group.messages] == [f"card {n}" for n in range(1, 7)]
    assert burst_done - started < 2.5  # the five went out at once
    assert times[-1] - started >= 3.0 - SLACK
    assert private_at < times[-1]


async def test_group_limit_keeps_within_telegrams_twenty_per_minute(settings, emulator):
    """The sender keeps a group within Telegram's 20 messages per minute, so Telegram
    never has to refuse one: no 429 for the 21st message of a busy minute."""
    emulator.flood_limits = FloodLimits(private_per_second=1, group_per_minute=20)
    emulator.group(GROUP_ID, "Staff")
    async with bot_with(settings, emulator) as app:
        tasks = [
            asyncio.create_task(app.bot.send_message(GROUP_ID, f"card {n}")) for n in range(1, 22)
        ]
        try:
            # Long enough for the sender's own spacing of the 21st (3 s) to run out.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(t.done() for t in tasks):
                if any(not c.ok for c in sends(emulator, {GROUP_ID})):
                    break
                await asyncio.sleep(0.05)
            refused = [c for c in sends(emulator, {GROUP_ID}) if not c.ok]
            assert refused == [], [c.description for c in refused]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


# --- undeliverable messages are recorded -----------------------------------------------------


async def test_undeliverable_messages_are_recorded(settings, emulator, session_factory):
    """Each way a person cannot be reached is a result for the feature (not an error) and
    a row in delivery_failures; nothing is retried."""
    gone = emulator.user(911, "Gone", language_code="en")
    emulator.user(912, "Never started", language_code="en", started=False)
    fine = emulator.user(913, "Fine", language_code="en")
    async with bot_with(settings, emulator) as app:
        gone.delete_account()
        results = {
            chat: await deliver(app.bot.send_message(chat, "Your parcel is at the gate"))
            for chat in (911, 912, 914, 913)  # 914: no such chat
        }
    assert {chat: (r.ok, r.reason) for chat, r in results.items()} == {
        911: (False, "deactivated"),
        912: (False, "forbidden"),
        914: (False, "chat_not_found"),
        913: (True, None),
    }
    assert [m["text"] for m in fine.messages] == ["Your parcel is at the gate"]
    assert [(int(c.params["chat_id"]), c.ok) for c in sends(emulator)] == [
        (911, False),
        (912, False),
        (914, False),
        (913, True),
    ]
    async with session_factory() as s:
        rows = (await s.scalars(select(DeliveryFailure).order_by(DeliveryFailure.id))).all()
    assert [(r.chat_id, r.method, r.reason) for r in rows] == [
        (911, "sendMessage", "deactivated"),
        (912, "sendMessage", "forbidden"),
        (914, "sendMessage", "chat_not_found"),
    ]
    assert "deactivated" in rows[0].description and rows[0].at is not None
