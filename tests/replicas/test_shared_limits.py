"""Telegram's send limits kept in Redis hold for two senders (two processes)
together: the times each books are checked, on a given clock (nothing sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.sender import RateLimiter
from bot.shared_limits import SharedRateLimiter
from tests.replicas.conftest import REDIS_URL

GROUP = -1001000000777


@pytest.fixture
async def two_senders(redis_prefix: str) -> AsyncIterator[list[SharedRateLimiter]]:
    senders = [
        SharedRateLimiter(Redis.from_url(REDIS_URL), prefix=redis_prefix, clock=lambda: 0.0)
        for _ in range(2)
    ]
    yield senders
    for sender in senders:
        await sender.close()


async def test_a_group_never_gets_more_than_twenty_a_minute_from_two_senders(
    two_senders: list[SharedRateLimiter],
) -> None:
    """45 cards for one admin group, asked for by two processes in turn over 90 s."""
    times = []
    for n in range(45):
        now = n * 2.0
        sender = two_senders[n % 2]
        times.append(now + await sender.book_chat(GROUP, now))
    times.sort()
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= 60.0, (i, times[i], times[i + 20])
    # The same pace as one process's own limiter for the same requests.
    alone = RateLimiter(group_per_minute=20)
    assert times == pytest.approx(sorted(alone.book_chat(GROUP, n * 2.0) for n in range(45)))


async def test_the_global_rate_and_a_private_chat_hold_across_two_senders(
    two_senders: list[SharedRateLimiter],
) -> None:
    sends = sorted([await two_senders[n % 2].book_global(0.0) for n in range(100)])
    assert sends[:30] == [0.0] * 30 and sends[30] == pytest.approx(1.0)
    for i in range(len(sends) - 30):
        assert sends[i + 30] - sends[i] >= 1.0 - 1e-9
    # One person: a burst of 3, then one a second, whoever sends.
    private = [await two_senders[n % 2].book_chat(901, 0.0) for n in range(6)]
    assert private == pytest.approx([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    # Another group is not held up by the first one.
    assert await two_senders[1].book_chat(GROUP - 1, 0.0) == 0.0
