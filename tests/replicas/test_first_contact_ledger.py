"""A new person's first message: their person row is committed before the handler
runs, but the update is recorded as handled only by the handler's own work — a
process dying in the handler leaves the message to be handled again (bot.ledger)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ledger import UpdateLedger, apart_from_update
from core import delivery
from core.db import utcnow
from core.identity import register_first_contact
from core.models import DeliveryFailure


async def test_a_first_contact_does_not_record_the_update(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ledger = UpdateLedger(session_factory.kw["bind"], replicas=True)
    update_id = uuid.uuid4().int % 10**9
    telegram_id = uuid.uuid4().int % 10**9
    async with session_factory() as session:
        assert await ledger.first(session, update_id, None)
        with apart_from_update(session):
            created = await register_first_contact(session, telegram_id, full_name="Wang")
        assert created is not None
        async with session_factory() as other:
            assert not await delivery.was_handled(await other.connection(), update_id)
        # The handler's own change records it, with that change.
        session.add(
            DeliveryFailure(at=utcnow(), chat_id=1, method="test", reason="t", description="")
        )
        await session.commit()
    async with session_factory() as other:
        assert await delivery.was_handled(await other.connection(), update_id)
