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


async def bulk_passes(session, site, now: datetime, count: int, *, hours: float = 4):
    """``count`` single-use visitor passes inserted in bulk; returns [(pass_id, code, token)].

    Same hashing and uniqueness rules as :func:`access.passes.issue_visitor_pass`,
    without its per-pass round trips, so big tests and the benchmark start fast.
    """
    from sqlalchemy import insert, select

    from access.credentials import hash_code, hash_token, new_code, new_token
    from access.models import Pass, PassKind, PassStatus

    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code())
    rows = []
    plain = []
    for code in codes:
        token = new_token()
        plain.append((code, token))
        rows.append(
            {
                "community_id": site.community.id,
                "kind": PassKind.VISITOR,
                "status": PassStatus.ACTIVE,
                "host_person_id": site.host.id,
                "host_unit_id": site.unit.id,
                "holder_name": "访客",
                "company": "",
                "purpose": "test",
                "code_hash": hash_code(TEST_SECRET, code),
                "token_hash": hash_token(TEST_SECRET, token),
                "valid_from": now,
                "valid_until": now + timedelta(hours=hours),
                "max_uses": 1,
                "uses_count": 0,
                "gate_ids": [],
                "inside": False,
                "created_at": now,
            }
        )
    for i in range(0, len(rows), 500):
        await session.execute(insert(Pass), rows[i : i + 500])
    await session.commit()
    ids = {
        h: pid
        for pid, h in (
            await session.execute(
                select(Pass.id, Pass.code_hash).where(Pass.community_id == site.community.id)
            )
        ).all()
    }
    return [(ids[hash_code(TEST_SECRET, c)], c, t) for c, t in plain]
