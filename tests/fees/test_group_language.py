"""The admin group speaks its community's language (issue 13): an English-speaking
manager's fee commands in a Chinese community's group are answered in Chinese, as
/open is, because the whole office reads them."""

from __future__ import annotations

from sqlalchemy import func, select

from core.clock import FrozenClock
from core.fees.ledger import record_offline_payment
from core.fees.models import PaymentMethod, Refund
from tests.factories import make_staff
from tests.fees.helpers import NOW, billed_world
from tests.harness import start_bot

GROUP_ID = -1001000000077
MANAGER_ID = 811


async def test_refund_by_an_english_manager_is_answered_in_the_groups_chinese(
    session, settings, emulator
) -> None:
    world = await billed_world(session, admin_chat_id=GROUP_ID)
    assert world.community.locale == "zh_Hans"
    manager, _staff = await make_staff(session, world.community, MANAGER_ID, "Li", locale="en")
    paid = await record_offline_payment(
        session,
        world.community,
        unit_id=world.units[0].id,
        method=PaymentMethod.CASH,
        amount_minor=46558,
        note="现金",
        actor_person_id=manager.id,
        actor_telegram_id=MANAGER_ID,
        now=NOW,
    )
    await session.commit()
    payment_id = paid.payment.id
    group = emulator.group(GROUP_ID, "阳光花园 物业")
    group.add_member(MANAGER_ID, "Li Manager", language_code="en")

    async with start_bot(settings, emulator, clock=FrozenClock(NOW)):
        await group.send(MANAGER_ID, "/refund")
        await group.expect("用法：/refund 付款编号 金额 原因")

        await group.send(MANAGER_ID, f"/refund {payment_id} 100000 too much")
        await group.expect("此笔付款最多可退")

        await group.send(MANAGER_ID, f"/refund {payment_id} 150 parking not used")
        summary = await group.expect(f"从付款 #{payment_id}")
        await group.press(summary, "✅ 确认", from_user=MANAGER_ID)
        done = await group.expect_edit(summary)
        assert f"已登记付款 #{payment_id} 的退款" in done["text"]

    assert await session.scalar(select(func.count()).select_from(Refund)) == 1
