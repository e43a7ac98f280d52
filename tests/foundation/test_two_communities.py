"""Two communities in one deployment, end to end (issue 21 item 19): A in Shanghai
(Chinese, yuan) and B in New York (English, dollars), each with its admin group,
the same unit label in both. A's staff act in A only; a command in A's group never
reads B; each resident sees their own language, currency and time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from access.gates import create_gate
from access.passes import issue_visitor_pass
from core.fees.billing import generate_bills
from core.fees.common import Period
from core.fees.models import FeeKind
from core.fees.schedule import add_fee_item
from core.models import Residency, StaffRole
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_resident, make_staff, make_unit

CHAT_A, CHAT_B = -1001900000001, -1001900000002
MANAGER_A, MANAGER_B, RESIDENT_A, RESIDENT_B = 1901, 1902, 1903, 1904
BILLED = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
# The pass starts tomorrow at 14:00 UTC (the bot runs on the real clock).
START = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=1)


async def _world(session_factory) -> None:
    async with session_factory() as s:
        a = await make_community(s, "阳光花园", admin_chat_id=CHAT_A, is_forum=False)
        b = await make_community(
            s,
            "Maple Court",
            admin_chat_id=CHAT_B,
            is_forum=False,
            timezone="America/New_York",
            currency="USD",
            locale="en",
        )
        for community, manager, name, resident, rname, locale in (
            (a, MANAGER_A, "李经理", RESIDENT_A, "王小明", "zh_Hans"),
            (b, MANAGER_B, "Mary Manager", RESIDENT_B, "Bob Resident", "en"),
        ):
            unit = await make_unit(s, community, "1栋", "1201")  # the same label in both
            await make_staff(s, community, manager, name, StaffRole.MANAGER, locale=locale)
            person, _ = await make_resident(s, unit, resident, rname, locale=locale)
            await create_gate(s, secret_key=TEST_SECRET, community_id=community.id, name="Gate")
            await add_fee_item(
                s, community, name="Fee", kind=FeeKind.FIXED, amount_minor=12345, due_day=15
            )
            await generate_bills(s, community, Period(2026, 11), now=BILLED, trigger="test")
            await issue_visitor_pass(
                s,
                secret_key=TEST_SECRET,
                now=START,
                host_person_id=person.id,
                host_unit_id=unit.id,
                holder_name="Guest",
                purpose="visit",
                valid_from=START,
                valid_until=START + timedelta(hours=2),
                multi_entry=False,
                gate_ids=[],
            )
        await s.execute(update(Residency).values(start_date=date(2020, 1, 1)))
        await s.commit()


async def test_two_communities_stay_apart(running_bot, emulator, session_factory):
    await _world(session_factory)
    group_a = emulator.group(CHAT_A, "阳光花园物业")
    group_b = emulator.group(CHAT_B, "Maple Court office")
    for group in (group_a, group_b):  # A's manager sits in both groups
        group.add_member(MANAGER_A, "李经理", language_code="zh-hans")
    group_a.add_member(MANAGER_B, "Mary", language_code="en")
    group_b.add_member(MANAGER_B, "Mary", "administrator", language_code="en")

    # A's manager in B's group is nobody there; B's manager in A's group likewise.
    await group_b.send(MANAGER_A, "/residents 1栋-1201")
    refused = await group_b.expect("只有本小区的物业人员")
    assert "Bob" not in refused["text"]
    await group_a.send(MANAGER_B, "/residents 1栋-1201")
    await group_a.expect("Only staff of this community")

    # In A's group, A's manager reads A's unit — never B's, although the label is B's too.
    await group_a.send(MANAGER_A, "/residents 1栋-1201")
    listing = await group_a.expect("王小明")
    assert "Bob" not in listing["text"]
    await group_b.send(MANAGER_B, "/residents 1栋-1201")
    listing = await group_b.expect("Bob Resident")
    assert "王小明" not in listing["text"]

    # Each resident: their language, currency and time zone.
    wang = emulator.user(RESIDENT_A, "小明", language_code="zh-hans")
    bob = emulator.user(RESIDENT_B, "Bob", language_code="en")
    await wang.send("/bills")
    bills = await wang.expect("阳光花园")
    assert "¥123.45" in bills["text"] and "$" not in bills["text"]
    await bob.send("/bills")
    bills = await bob.expect("Maple Court")
    assert "$123.45" in bills["text"] and "¥" not in bills["text"]
    await wang.send("/passes")
    passes = await wang.expect("Guest")
    assert f"{START.astimezone(ZoneInfo('Asia/Shanghai')):%H:%M}" in passes["text"]
    await bob.send("/passes")
    passes = await bob.expect("Guest")
    assert f"{START.astimezone(ZoneInfo('America/New_York')):%H:%M}" in passes["text"]
