"""A worker pass the property office turns down: a resident asks for it in the chat, the
staff reject it in their admin group (简体中文), the resident hears it in English, and
no code ever exists — at the gate nothing opens for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from access.models import AccessLogEntry, Pass, PassStatus
from core.clock import FrozenClock
from core.models import AuditEntry, DeliveryFailure, Person, StaffRole
from tests.access.conftest import START
from tests.access.gate_world import (
    GUARD_ID,
    MANAGER_ID,
    RESIDENT_ID,
    STRANGER_ID,
    GateWorld,
    gate_world,
)
from tests.factories import make_staff
from tests.harness import idle

TECHNICIAN_ID = 633
CODE_LIKE = r"\d{4} \d{4}"


@pytest.fixture
def settings(settings):
    # Telegram's pacing is the sender's business (tests/foundation/test_sender_limits.py).
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[GateWorld]:
    # The office works in Chinese; the resident reads English.
    async with gate_world(
        session,
        settings,
        emulator,
        FrozenClock(START),  # Wednesday 10:00 in Shanghai
        community_locale="zh_Hans",
        resident_locale="en",
        staff_locale="zh_Hans",
        name="阳光花园",
    ) as w:
        yield w


async def request_worker_pass(w: GateWorld) -> dict:
    """The resident asks for a worker pass in the chat; returns the card in the group."""
    r = w.resident
    await r.send("/workerpass")
    kind = await r.expect("What kind of work?")
    await r.press(kind, "Renovation")
    await r.expect("The worker's full name?")
    await r.send("Li Shifu")
    await r.expect("phone number")
    await r.send("139 0000 1111")
    await r.expect("Their company?")
    await r.send("Good Home Decor")
    await r.expect("Which days?")
    await r.send("2026-11-25 - 2026-11-30")
    hours = await r.expect("Daily hours?")
    await r.press(hours, "08:00–18:00")
    days = await r.expect("On which weekdays?")
    await r.press(days, "Mon–Sat")
    gates = await r.expect("Which gates may they use?")
    await r.press(gates, "Done ➡️")
    summary = await r.expect("Please check the request")
    await r.press(summary, "📨 Send for approval")
    await r.expect("is with the property office")
    card = await w.group.expect("👷 工人通行证申请")
    assert "Li Shifu · Good Home Decor" in card["text"] and "13900001111" in card["text"]
    return card


def bot_texts(handle) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in handle.bot_messages]


async def assert_nothing_opens(w: GateWorld, session) -> None:
    """No credential was ever made for the request, so the gate grants nothing."""
    await idle(w.app)
    row = await session.scalar(select(Pass).where(Pass.holder_name == "Li Shifu"))
    await session.refresh(row)
    assert row.status == PassStatus.REJECTED
    assert (row.code_hash, row.token_hash, row.share_hash, row.share_blob) == (None,) * 4
    # The resident was never shown a code or a QR code.
    assert not any(m.get("photo") for m in w.resident.messages)
    texts = bot_texts(w.resident)
    assert not any("Code:" in t for t in texts), texts
    # At the gate, any code is an unknown code and the doors stay shut.
    for gate in ("East Gate", "North Gate"):
        status, body = await w.terminal(gate, {"code": "13900001"})
        assert status == 200 and body["granted"] is False and body["reason"] == "unknown"
        door = w.app.ctx.gate.doors.existing(w.gate_ids[gate])
        assert door is None or door.releases == 0
    granted = (
        await session.scalars(select(AccessLogEntry).where(AccessLogEntry.granted.is_(True)))
    ).all()
    assert granted == []
    # The resident's list of passes does not offer it.
    await w.resident.send("/passes")
    await w.resident.expect("You have no active passes")


async def test_rejected_in_the_group_and_the_resident_is_told(world, session):
    w = world
    g = w.group
    card = await request_worker_pass(w)
    guard = await session.scalar(select(Person).where(Person.telegram_id == GUARD_ID))

    # Someone in the group who is not staff, and staff without the right role, are
    # refused — each in their own language — and the card keeps its buttons.
    await make_staff(
        session, w.community, TECHNICIAN_ID, "Sun Tech", StaffRole.TECHNICIAN, locale="zh_Hans"
    )
    await session.commit()
    g.add_member(TECHNICIAN_ID, "Sun Tech")
    refused = await g.press(card, "⛔ 拒绝", from_user=STRANGER_ID)
    assert refused is not None and refused.get("show_alert")
    assert refused["text"] == "Only manager, guard can do this."
    refused = await g.press(card, "⛔ 拒绝", from_user=TECHNICIAN_ID)
    assert refused is not None and refused["text"] == "只有经理, 保安可以执行此操作。"
    await g.expect_nothing(within=0.3, edited=True)
    await idle(w.app)
    row = await session.scalar(select(Pass).where(Pass.holder_name == "Li Shifu"))
    assert row.status == PassStatus.PENDING and row.decided_by_person_id is None

    # The guard rejects: the card says who, and its buttons are gone.
    answer = await g.press(card, "⛔ 拒绝", from_user=GUARD_ID)
    assert answer is not None and answer["text"] == "已拒绝。"
    edited = await g.expect_edit(card, text_contains="⛔ 已由Zhao Guard拒绝。")
    assert edited["text"].startswith(card["text"])  # the request stays readable above
    assert not edited.get("reply_markup")

    # The resident is told, in English, that the office did not approve it.
    told = await w.resident.expect("The property office did not approve worker pass")
    assert f"#{row.id} for Li Shifu" in told["text"]
    await w.resident.expect_nothing(within=0.3, photo=True)

    await idle(w.app)
    await session.refresh(row)
    assert row.status == PassStatus.REJECTED
    assert row.decided_by_person_id == guard.id and row.decided_at == START
    audits = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "passes.worker_reject")
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [(a.actor_telegram_id, a.allowed) for a in audits] == [
        (STRANGER_ID, False),
        (TECHNICIAN_ID, False),
        (GUARD_ID, True),
    ]
    await assert_nothing_opens(w, session)


async def test_approve_pressed_right_after_the_rejection_issues_nothing(world, session):
    """Two staff press at once — the guard rejects, the manager approves on the same
    card: the first decision stands, the second is told so, and no code is made."""
    w = world
    g = w.group
    card = await request_worker_pass(w)
    await g.press(card, "⛔ 拒绝", from_user=GUARD_ID, wait=False)
    late = await g.press(card, "✅ 批准", from_user=MANAGER_ID)
    assert late is not None and late["text"] == "这个申请已经有人处理了。"
    await g.expect_edit(card, text_contains="⛔ 已由Zhao Guard拒绝。")
    await w.resident.expect("The property office did not approve worker pass")
    await w.resident.expect_nothing(within=0.3, text_contains="is approved")
    await assert_nothing_opens(w, session)


async def test_resident_who_blocked_the_bot_is_reported_to_staff(world, session):
    """The rejection cannot reach the resident: the staff are told in the group, and the
    undelivered message is recorded in the same transaction as the decision."""
    w = world
    card = await request_worker_pass(w)
    w.resident.block_bot()
    await w.group.press(card, "⛔ 拒绝", from_user=GUARD_ID)
    await w.group.expect_edit(card, text_contains="⛔ 已由Zhao Guard拒绝。")
    await w.group.expect("⚠️ 无法通知住户申请被拒（机器人被屏蔽）。")
    await idle(w.app)
    failures = (await session.scalars(select(DeliveryFailure))).all()
    assert [(f.chat_id, f.method, f.reason) for f in failures] == [
        (RESIDENT_ID, "sendMessage", "blocked")
    ]
    assert "blocked" in failures[0].description
    w.resident.unblock_bot()
    await assert_nothing_opens(w, session)


async def test_the_card_speaks_the_groups_language_whoever_decides(world, session):
    """The office reads the card in its own language (简体中文), also when the manager
    who decides reads the bot in English."""
    w = world
    card = await request_worker_pass(w)
    await make_staff(session, w.community, 634, "Kim Manager", StaffRole.MANAGER, locale="en")
    await session.commit()
    w.group.add_member(634, "Kim Manager")
    answer = await w.group.press(card, "⛔ 拒绝", from_user=634)
    assert answer is not None and answer["text"] == "已拒绝。"
    await w.group.expect_edit(card, text_contains="⛔ 已由Kim Manager拒绝。")
    await w.resident.expect("The property office did not approve worker pass")
