"""Money-changing staff actions, carried out once the staff member confirmed them.

The admin group shows an action back in full and keeps what it will do (``data``,
plain values) until Confirm is pressed; :func:`carry_out` then does it with its
audit entry. An action is all or nothing: when the service refuses (``FeeError``)
its writes are undone and the caller's transaction (the conversation state) goes on.

Also here, what the chat steps look up before showing an action back: the
payment being refunded, the bill being adjusted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.fees.accounts import record_expense, reverse_expense
from core.fees.common import FeeError, Period, local_today
from core.fees.ledger import adjust_bill, record_offline_payment, refund_payment
from core.fees.models import (
    Bill,
    Direction,
    FeeKind,
    FeeOutbox,
    FeeScope,
    Fund,
    Payment,
    PaymentMethod,
)
from core.fees.payments import enqueue_offline_receipts
from core.fees.schedule import Target, add_fee_item
from core.models import Community

ITEM_ADD = "fees.item_add"
PAYMENT_OFFLINE = "fees.payment_offline"
REFUND = "fees.refund"
ADJUST = "fees.adjust"
EXPENSE = "fees.expense"
EXPENSE_REVERSE = "fees.expense_reverse"


@dataclass(frozen=True)
class Actor:
    person_id: int | None
    telegram_id: int | None

    def kwargs(self) -> dict[str, Any]:
        return {"actor_person_id": self.person_id, "actor_telegram_id": self.telegram_id}


@dataclass(frozen=True)
class Outcome:
    """What a confirmed action did, for the reply."""

    id: int  # the fee item, payment, bill or ledger entry it made or changed
    name: str = ""  # a new fee item's name
    period: str = ""  # an adjusted bill's period
    outstanding_minor: int = 0  # an adjusted bill: what is due now
    outbox_ids: tuple[int, ...] = ()  # receipts to deliver now


_Action = Callable[
    [AsyncSession, Community, Mapping[str, Any], Actor, datetime], Awaitable[Outcome]
]


async def carry_out(
    session: AsyncSession,
    community: Community,
    action: str,
    data: Mapping[str, Any],
    *,
    actor: Actor,
    now: datetime,
) -> Outcome:
    """Do a confirmed action; raises ``FeeError`` (and keeps none of its writes)
    when the service refuses or the action is unknown."""
    run = _ACTIONS.get(action)
    if run is None:
        raise FeeError("unknown_action")
    async with session.begin_nested():
        return await run(session, community, data, actor, now)


async def _item_add(
    session: AsyncSession,
    community: Community,
    data: Mapping[str, Any],
    actor: Actor,
    _now: datetime,
) -> Outcome:
    item = await add_fee_item(
        session,
        community,
        name=data["name"],
        kind=FeeKind(data["kind"]),
        amount_minor=int(data["amount"]),
        scope=FeeScope(data["scope"]),
        targets=[Target(b, u, q) for b, u, q in data.get("targets") or []],
        period_months=int(data["every"]),
        due_day=int(data["due_day"]),
        late_fee_minor=int(data["late_fee"]) if data.get("late_fee") else None,
        **actor.kwargs(),
    )
    return Outcome(id=item.id, name=item.name)


async def _payment_offline(
    session: AsyncSession,
    community: Community,
    data: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Outcome:
    unit_id = int(data["unit_id"])
    result = await record_offline_payment(
        session,
        community,
        unit_id=unit_id,
        method=PaymentMethod(data["method"]),
        amount_minor=int(data["amount"]),
        note=data["note"],
        now=now,
        **actor.kwargs(),
    )
    payment_id = result.payment.id
    await enqueue_offline_receipts(
        session, payment_id=payment_id, unit_id=unit_id, community_id=community.id, now=now
    )
    receipts = await session.scalars(
        select(FeeOutbox.id).where(FeeOutbox.dedupe_key.startswith(f"receipt:{payment_id}:"))
    )
    return Outcome(id=payment_id, outbox_ids=tuple(receipts.all()))


async def _refund(
    session: AsyncSession,
    community: Community,
    data: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Outcome:
    await refund_payment(
        session,
        community,
        payment_id=int(data["payment_id"]),
        amount_minor=int(data["amount"]),
        reason=data["reason"],
        now=now,
        **actor.kwargs(),
    )
    return Outcome(id=int(data["payment_id"]))


async def _adjust(
    session: AsyncSession,
    community: Community,
    data: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Outcome:
    bill = await adjust_bill(
        session,
        community,
        bill_id=int(data["bill_id"]),
        amount_minor=int(data["amount"]),
        reason=data["reason"],
        now=now,
        **actor.kwargs(),
    )
    return Outcome(id=bill.id, period=bill.period, outstanding_minor=bill.outstanding_minor)


async def _expense(
    session: AsyncSession,
    community: Community,
    data: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Outcome:
    expense = await record_expense(
        session,
        community,
        fund=Fund(data["fund"]),
        direction=Direction(data["direction"]),
        category=data["category"],
        amount_minor=int(data["amount"]),
        description=data["description"],
        occurred_on=local_today(community, now),
        receipt_file_id=data.get("photo"),
        **actor.kwargs(),
    )
    return Outcome(id=expense.id)


async def _expense_reverse(
    session: AsyncSession,
    community: Community,
    data: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Outcome:
    reversal = await reverse_expense(
        session,
        community,
        expense_id=int(data["expense_id"]),
        reason=data["reason"],
        occurred_on=local_today(community, now),
        **actor.kwargs(),
    )
    return Outcome(id=reversal.id)


_ACTIONS: dict[str, _Action] = {
    ITEM_ADD: _item_add,
    PAYMENT_OFFLINE: _payment_offline,
    REFUND: _refund,
    ADJUST: _adjust,
    EXPENSE: _expense,
    EXPENSE_REVERSE: _expense_reverse,
}
ACTIONS = frozenset(_ACTIONS)


# --- what the chat steps show back before the confirmation -------------------------------


async def payment_of_community(
    session: AsyncSession, community_id: int, payment_id: int
) -> Payment | None:
    """A payment of this community (None for another community's payment)."""
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.community_id != community_id:
        return None
    return payment


async def bill_of_period(session: AsyncSession, unit_id: int, period: Period) -> Bill | None:
    bill: Bill | None = await session.scalar(
        select(Bill).where(Bill.unit_id == unit_id, Bill.period == str(period))
    )
    return bill
