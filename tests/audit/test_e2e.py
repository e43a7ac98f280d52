"""/audit in a community's admin group, through the emulator: a guard is refused
(and that is a row of the log), the manager reads it in the group's language, finds
the guard by @username, and exports the rows as a CSV file."""

from __future__ import annotations

import asyncio
import csv
import io

from sqlalchemy import select

from core.audit import record_audit
from core.models import AuditEntry, Person, StaffRole
from tests.factories import make_community, make_staff
from tests.harness import idle

CHAT = -1001234509876
MANAGER, GUARD = 900, 905


async def _refusals(session_factory, action: str) -> list[AuditEntry]:
    for _ in range(100):
        async with session_factory() as s:
            query = select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.allowed.is_(False)
            )
            rows = list((await s.scalars(query)).all())
        if rows:
            return rows
        await asyncio.sleep(0.05)
    return []


async def test_managers_read_and_export_the_log(running_bot, emulator, session_factory):
    async with session_factory() as s:
        community = await make_community(s, "阳光花园", admin_chat_id=CHAT, is_forum=False)
        await make_staff(s, community, MANAGER, "李经理", StaffRole.MANAGER)
        await make_staff(s, community, GUARD, "赵保安", StaffRole.GUARD)
        await s.commit()
    group = emulator.group(CHAT, "阳光花园物业")
    group.add_member(MANAGER, "李经理", "administrator", language_code="zh-hans")
    group.add_member(GUARD, "赵保安", username="zhao_guard", language_code="zh-hans")

    await group.send(GUARD, "/audit")
    await group.expect("只有经理可以执行此操作")
    [refusal] = await _refusals(session_factory, "audit.view")
    assert refusal.community_id == community.id

    async with session_factory() as s:
        manager = await s.scalar(select(Person).where(Person.telegram_id == MANAGER))
        actor = {"actor_person_id": manager.id, "actor_telegram_id": MANAGER}
        for _ in range(11):
            await record_audit(s, "fees.refund", community_id=community.id, **actor)
        await s.commit()

    await group.send(MANAGER, "/audit")
    listing = await group.expect("阳光花园的操作日志")
    assert "第 1–10 条，共 12 条" in listing["text"]
    assert "李经理 · 退款 · ✅" in listing["text"]
    await group.press(listing, "▶", from_user=MANAGER)
    listing = await group.expect_edit(listing, text_contains="第 11–12 条，共 12 条")
    assert "赵保安 · 查看操作日志 · ⛔ 已拒绝" in listing["text"]
    assert str(GUARD) not in listing["text"]  # people by name, never by id

    # The guard's @username was learnt from their message; a bad day is explained.
    await group.send(MANAGER, "/audit @zhao_guard audit")
    found = await group.expect("🔎 /audit audit @zhao_guard")
    assert "第 1–1 条，共 1 条" in found["text"]
    await group.send(MANAGER, "/audit 2026-13-01")
    await group.expect("无法识别日期“2026-13-01”")

    # The guard cannot export; the manager can, and gets a file.
    refused = await group.press(found, "⬇️ 导出 CSV", from_user=GUARD)
    assert refused is not None and refused["show_alert"] and "经理" in refused["text"]
    await group.press(found, "⬇️ 导出 CSV", from_user=MANAGER)
    document = await group.expect(document=True)
    assert document["document"]["file_name"].endswith(".csv")
    raw = emulator.world.files[document["document"]["file_id"]].data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    # The guard's refused export came after the listing, and is in the file too.
    assert [(r["action"], r["allowed"]) for r in rows] == [
        ("audit.export", "no"),
        ("audit.view", "no"),
    ]
    assert (rows[1]["person"], rows[1]["username"], rows[1]["action_label"]) == (
        "赵保安",
        "zhao_guard",
        "查看操作日志",
    )
    await idle(running_bot)
    async with session_factory() as s:
        export = await s.scalar(
            select(AuditEntry).where(AuditEntry.action == "audit.export", AuditEntry.allowed)
        )
    assert export is not None and export.actor_telegram_id == MANAGER
