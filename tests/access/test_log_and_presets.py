"""Days are the community's days: ``/log`` filtered by day, and the visitor-pass presets
"today" and "tomorrow", with the clock just after midnight in Shanghai — when the date in
UTC is still the day before."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from access.models import Pass
from core.clock import FrozenClock
from tests.access.gate_world import GUARD_ID, GateWorld, gate_world
from tests.harness import idle

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-25 00:20 in Shanghai; in UTC it is still 2026-11-24.
NOW = datetime(2026, 11, 24, 16, 20, tzinfo=UTC)
STAMP = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{2}:\d{2}")


@pytest.fixture
def settings(settings):
    # Telegram's pacing is the sender's business (tests/foundation/test_sender_limits.py).
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def world(session, settings, emulator, clock) -> AsyncIterator[GateWorld]:
    async with gate_world(session, settings, emulator, clock) as w:
        yield w


def local(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


# --- /log by day ------------------------------------------------------------------------------


async def make_history(w: GateWorld) -> None:
    """Four decisions on three local days; two of them on a different UTC date."""
    clock = w.clock
    clock.set(local(2026, 11, 23, 23, 50))  # UTC 2026-11-23 15:50
    _status, body = await w.terminal("East Gate", {"code": "00000001"})
    assert body["reason"] == "unknown"
    clock.set(local(2026, 11, 24, 7, 30))  # UTC 2026-11-23 23:30
    await w.group.send(GUARD_ID, "/open North Gate")
    await w.group.expect("North Gate opened by Zhao Guard")
    clock.set(local(2026, 11, 24, 23, 50))  # UTC 2026-11-24 15:50
    _status, body = await w.terminal("East Gate", {"code": "00000002"})
    assert body["reason"] == "unknown"
    clock.set(local(2026, 11, 25, 0, 10))  # UTC 2026-11-24 16:10
    _status, body = await w.terminal("North Gate", {"code": "00000003"})
    assert body["reason"] == "unknown"
    clock.set(NOW)
    await idle(w.app)


async def log_reply(w: GateWorld, args: str) -> tuple[list[str], dict]:
    """The rows of the staff's ``/log ARGS`` reply (latest first), and the reply."""
    await w.group.send(GUARD_ID, f"/log {args}".strip())
    reply = await w.group.expect(regex=r"Gate log|No gate activity")
    if reply["text"] == "No gate activity matches.":
        return [], reply
    lines = reply["text"].splitlines()
    assert lines[0] == "Gate log (latest first):"
    assert [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row] == [
        "📄 Export CSV"
    ]
    return lines[1:], reply


async def log_lines(w: GateWorld, args: str) -> list[str]:
    return (await log_reply(w, args))[0]


D_23_2350 = "⛔ Nov 23, 2026 23:50 · East Gate · code · — · unknown code"
C_24_0730 = "✅ Nov 24, 2026 07:30 · North Gate · staff · Zhao Guard · opened by staff"
A_24_2350 = "⛔ Nov 24, 2026 23:50 · East Gate · code · — · unknown code"
B_25_0010 = "⛔ Nov 25, 2026 00:10 · North Gate · code · — · unknown code"


async def test_log_by_day_uses_the_communitys_days(world):
    w = world
    await make_history(w)

    # Today in Shanghai is the 25th (the 24th in UTC): only the decision after midnight.
    assert await log_lines(w, "today") == [B_25_0010]
    assert await log_lines(w, "今天") == [B_25_0010]
    # Yesterday is the whole local 24th — including 07:30, which was the 23rd in UTC —
    # and not 23:50 on the 23rd.
    assert await log_lines(w, "yesterday") == [A_24_2350, C_24_0730]
    assert await log_lines(w, "2026-11-24") == [A_24_2350, C_24_0730]
    assert await log_lines(w, "2026-11-23") == [D_23_2350]
    assert await log_lines(w, "2026-11-25") == [B_25_0010]
    assert await log_lines(w, "2026-11-22") == []
    # Everything, latest first.
    assert await log_lines(w, "") == [B_25_0010, A_24_2350, C_24_0730, D_23_2350]


async def test_log_csv_of_a_day_has_that_days_rows(world, emulator):
    w = world
    await make_history(w)
    lines, reply = await log_reply(w, "yesterday")
    assert lines == [A_24_2350, C_24_0730]
    await w.group.press(reply, "📄 Export CSV", from_user=GUARD_ID)
    doc = await w.group.expect(document=True)
    assert doc["caption"] == "Gate log: 2 rows."
    data = emulator.world.files[doc["document"]["file_id"]].data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [(r["time_utc"], r["time_local"], r["gate"], r["granted"]) for r in rows] == [
        ("2026-11-24T15:50:00+00:00", "2026-11-24 23:50:00", "East Gate", "no"),
        ("2026-11-23T23:30:00+00:00", "2026-11-24 07:30:00", "North Gate", "yes"),
    ]


# --- visitor pass presets ----------------------------------------------------------------------


async def invite_with(w: GateWorld, preset: str, *, multi: bool) -> tuple[dict, dict, str]:
    """Invite a visitor choosing a window preset; returns (summary, card, code)."""
    r = w.resident
    await r.send("/invite")
    await r.expect("What is the visitor's name?")
    await r.send("Zhang San")
    await r.expect("What is the purpose of the visit?")
    await r.send("Dinner")
    window = await r.expect("When may the visitor come in?")
    await r.press(window, preset)
    entries = await r.expect("Single entry, or any number")
    await r.press(entries, "🔁 Multiple entries within the window" if multi else "1️⃣ Single entry")
    car = await r.expect("coming by car")
    await r.press(car, "🚶 No car")
    gates = await r.expect("Which gates may they use?")
    await r.press(gates, "Done ➡️")
    summary = await r.expect("Please check the pass")
    await r.press(summary, "✅ Create the pass")
    card = await r.expect("is ready")
    await r.expect("QR code of pass", photo=True)
    code = re.search(r"Code: (\d{4}) (\d{4})", card["text"])
    assert code, card["text"]
    return summary, card, code.group(1) + code.group(2)


def valid_line(message: dict) -> str:
    return next(line for line in message["text"].splitlines() if line.startswith("Valid: "))


async def test_today_runs_from_now_to_the_local_midnight(world, session):
    w = world
    summary, card, code = await invite_with(w, "📅 Today", multi=True)
    # Shown in the community's time, from now: 00:20 on the 25th.
    assert valid_line(summary).startswith("Valid: Nov 25, 2026 00:20 – ")
    assert valid_line(card) == valid_line(summary)
    await idle(w.app)
    row = await session.scalar(select(Pass))
    assert row.valid_from == NOW
    assert row.valid_until == local(2026, 11, 26, 0, 0)  # 2026-11-25 16:00 UTC
    assert row.valid_until == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)

    # At the gate: still good a minute before local midnight, over a minute after.
    w.clock.set(local(2026, 11, 25, 23, 59))
    _status, body = await w.terminal("East Gate", {"code": code})
    assert body["granted"] is True
    w.clock.set(local(2026, 11, 26, 0, 1))
    _status, body = await w.terminal("East Gate", {"code": code})
    assert (body["granted"], body["reason"]) == (False, "expired")


async def test_tomorrow_is_the_whole_next_local_day(world, session):
    w = world
    summary, card, code = await invite_with(w, "📅 Tomorrow", multi=False)
    assert valid_line(summary).startswith("Valid: Nov 26, 2026 00:00 – ")
    assert valid_line(card) == valid_line(summary)
    await idle(w.app)
    row = await session.scalar(select(Pass))
    assert (row.valid_from, row.valid_until) == (
        local(2026, 11, 26, 0, 0),
        local(2026, 11, 27, 0, 0),
    )
    assert row.valid_until - row.valid_from == timedelta(days=1)

    # Not before the local day starts; then it opens.
    w.clock.set(local(2026, 11, 25, 23, 59))
    _status, body = await w.terminal("East Gate", {"code": code})
    assert (body["granted"], body["reason"]) == (False, "not_yet_valid")
    w.clock.set(local(2026, 11, 26, 0, 1))
    _status, body = await w.terminal("East Gate", {"code": code})
    assert body["granted"] is True


def shown_window(line: str) -> tuple[datetime, datetime]:
    """The window a "Valid: …" line tells a reader, in Shanghai time.

    "Nov 25, 2026 14:00 – 16:00" (an end on the same day; "24:00" is that day's end) or
    "Nov 25, 2026 14:00 – Nov 26, 2026 18:00".
    """
    start_text, end_text = line.removeprefix("Valid: ").split(" – ")
    start = datetime.strptime(start_text, "%b %d, %Y %H:%M")
    if STAMP.fullmatch(end_text):
        end = datetime.strptime(end_text, "%b %d, %Y %H:%M")
    else:
        hours, minutes = (int(x) for x in end_text.split(":"))
        end = datetime.combine(start.date(), time(0, 0)) + timedelta(hours=hours, minutes=minutes)
    return start.replace(tzinfo=SHANGHAI), end.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("📅 Today", local(2026, 11, 25, 0, 20), local(2026, 11, 26, 0, 0)),
        ("📅 Tomorrow", local(2026, 11, 26, 0, 0), local(2026, 11, 27, 0, 0)),
    ],
)
async def test_the_resident_is_shown_the_window_the_pass_has(world, session, preset, start, end):
    w = world
    summary, card, _code = await invite_with(w, preset, multi=False)
    await idle(w.app)
    row = await session.scalar(select(Pass))
    assert (row.valid_from, row.valid_until) == (start, end)
    # What the resident reads before creating the pass and on the pass itself.
    assert shown_window(valid_line(summary)) == (start, end), valid_line(summary)
    assert shown_window(valid_line(card)) == (start, end), valid_line(card)
