"""The month's light round: lights out become repair tickets; the rest are working."""

from __future__ import annotations

from sqlalchemy import select

from core.equipment.models import EquipmentRepair, LightCheck
from core.tickets.models import RepairCategory, Ticket, Urgency
from tests.harness import idle
from tests.patrols.conftest import GUARD_ID, MANAGER_ID, world  # noqa: F401


async def test_light_round(running_bot, emulator, world, session):  # noqa: F811
    group = world.group
    for line in (
        "North gate light | street_light | North gate",
        "Stair light 3-1 | 楼道灯 | Building 3",
        "Stair light 3-2 | stair_light | Building 3",
        "Pump | pump | Basement",
    ):
        await group.send(MANAGER_ID, f"/equipment_add {line}")
        await group.expect("Added to the ledger")
    await group.send(GUARD_ID, "/lights")
    empty = await group.expect("Lights,")
    assert "Checked: 0 of 3" in empty["text"]
    await group.send(GUARD_ID, "/lights out 4")
    await group.expect("must be lights in use")
    await group.send(GUARD_ID, "/lights off 1")
    await group.expect("Usage: /lights")
    await group.send(GUARD_ID, "/lights out 2")
    out = await group.expect("is out: repair ticket #1", timeout=20)
    assert "Stair light 3-1" in out["text"]
    topic = next(t for t in group.topics.values() if t.name.startswith("#1"))
    await group.expect("Light out on the monthly light round", thread_id=topic.thread_id)
    await group.send(GUARD_ID, "/lights out 2")
    await group.expect("already out this month")
    await group.send(GUARD_ID, "/lights done")
    closed = await group.expect("The light round is closed")
    assert "Checked: 3 of 3" in closed["text"]
    assert "⚠️ Working: 67% (target 98%)" in closed["text"]
    assert "Out: #2 Stair light 3-1" in closed["text"]

    await idle(running_bot)
    ticket = await session.scalar(select(Ticket))
    assert ticket is not None and ticket.category == RepairCategory.ELECTRICITY
    assert ticket.urgency == Urgency.NORMAL
    link = await session.scalar(select(EquipmentRepair))
    assert link is not None and (link.equipment_id, link.ticket_id) == (2, ticket.id)
    checks = (await session.scalars(select(LightCheck).order_by(LightCheck.equipment_id))).all()
    assert [(c.equipment_id, c.working) for c in checks] == [(1, True), (2, False), (3, True)]
