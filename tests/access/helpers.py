"""Small helpers shared by the access tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from access.passes import IssuedPass, issue_visitor_pass
from tests.conftest import TEST_SECRET


async def visitor_pass(
    session,
    site,
    now: datetime,
    *,
    hours: float = 2,
    starts_in: timedelta = timedelta(0),
    multi: bool = False,
    gates: list[str] | None = None,
    name: str = "张三",
) -> IssuedPass:
    issued = await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=now,
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        holder_name=name,
        purpose="探亲",
        valid_from=now + starts_in,
        valid_until=now + starts_in + timedelta(hours=hours),
        multi_entry=multi,
        gate_ids=[site.gate_ids[g] for g in (gates or [])],
    )
    await session.commit()
    return issued
