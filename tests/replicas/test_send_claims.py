"""core.sends: a job's message claimed (committed) before it is sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.sends import SendClaim, send_once

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


async def test_raised_given_back_died_never_again_undelivered_kept(session_factory) -> None:
    sent: list[str] = []

    async def send(key: str) -> bool:
        sent.append(key)
        return True

    async def broken() -> bool:
        raise ConnectionError("Telegram unreachable")

    # A send that raised gives its claim back: the re-run sends it.
    with pytest.raises(ConnectionError):
        await send_once(session_factory, "job:a", NOW, broken)
    assert await send_once(session_factory, "job:a", NOW, lambda: send("a")) == (True, True)
    assert await send_once(session_factory, "job:a", NOW, lambda: send("a")) == (False, None)

    # A run that died between its claim and the send: the claim stays, never resent.
    async with session_factory() as session:
        session.add(SendClaim(key="job:b", claimed_at=NOW))
        await session.commit()
    assert await send_once(session_factory, "job:b", NOW, lambda: send("b")) == (False, None)

    # Not delivered: kept (counted as tried) unless the job asks to retry it.
    assert await send_once(session_factory, "job:c", NOW, lambda: _false()) == (True, False)
    assert await send_once(session_factory, "job:c", NOW, lambda: send("c")) == (False, None)
    first = await send_once(session_factory, "job:d", NOW, _false, retry_undelivered=True)
    assert first == (True, False)
    assert await send_once(session_factory, "job:d", NOW, lambda: send("d")) == (True, True)
    assert sent == ["a", "d"]
    async with session_factory() as session:
        rows = {r.key: r.delivered for r in await session.scalars(select(SendClaim))}
    assert rows == {"job:a": True, "job:b": None, "job:c": False, "job:d": True}


async def _false() -> bool:
    return False


async def test_concurrent_runs_send_each_message_once(session_factory) -> None:
    """Three runs of a job at once over the same 20 recipients (on PostgreSQL: three
    connections racing on each key): every recipient gets one message."""
    sent: list[int] = []

    async def send(recipient: int) -> bool:
        await asyncio.sleep(0.001)
        sent.append(recipient)
        return True

    async def run() -> None:
        for recipient in range(20):
            await send_once(session_factory, f"job:{recipient}", NOW, lambda r=recipient: send(r))

    await asyncio.gather(run(), run(), run())
    assert sorted(sent) == list(range(20))
