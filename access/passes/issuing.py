"""Issuing passes: a visitor pass at once, a worker pass on request and staff decision.
Plain credentials (code, QR token, share key) exist only in the :class:`IssuedPass`
returned here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import (
    SHARE_PREFIX,
    allocate_code,
    hash_code,
    hash_share_key,
    hash_token,
    new_share_key,
    new_token,
    seal_credentials,
)
from access.models import Gate, Pass, PassKind, PassStatus, WorkerCategory
from access.passes.rules import (
    ALL_WEEKDAYS,
    COMPANY_MAX_LEN,
    NAME_MAX_LEN,
    PURPOSE_MAX_LEN,
    PassError,
    check_visitor_window,
    check_worker_days,
    check_worker_hours,
    clean_phone,
    local_day_bounds,
    valid_plate,
)
from access.sync.keys import offline_code_hash, offline_token_hash
from core.models import Community, Residency, Unit
from core.residency import active_residency_clause


@dataclass(frozen=True)
class IssuedPass:
    pass_id: int
    code: str
    token: str
    share_key: str
    valid_from: datetime
    valid_until: datetime

    @property
    def share_payload(self) -> str:
        return SHARE_PREFIX + self.share_key


async def host_unit(session: AsyncSession, person_id: int, unit_id: int) -> Unit:
    """The unit, if ``person_id`` lives there now; else ``not_resident``."""
    unit = await session.scalar(
        select(Unit)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(active_residency_clause(person_id=person_id, unit_id=unit_id))
    )
    if unit is None:
        raise PassError("not_resident")
    return unit


async def gates_of(session: AsyncSession, community_id: int) -> list[Gate]:
    return list(
        (
            await session.scalars(
                select(Gate)
                .where(Gate.community_id == community_id, Gate.active.is_(True))
                .order_by(Gate.name)
            )
        ).all()
    )


async def check_gates(session: AsyncSession, community_id: int, gate_ids: list[int]) -> list[int]:
    gates = await gates_of(session, community_id)
    if not gates:
        raise PassError("no_gates")
    known = {g.id for g in gates}
    chosen = sorted(set(gate_ids))
    if any(g not in known for g in chosen):
        raise PassError("bad_gate")
    # An empty list means every gate, including gates added later.
    return chosen


def clean_text(text: str | None, limit: int) -> str:
    return re.sub(r"\s+", " ", text or "").strip()[:limit]


async def _insert_with_credentials(
    session: AsyncSession, secret_key: str, community_id: int, fill: Any
) -> tuple[str, str, str]:
    """Allocate credentials and flush ``fill(code_hash, token_hash, share_hash, blob,
    offline)`` — ``offline``: the code and token hashed for the community's gate agents.

    A concurrent issuer may take the same code between our check and our insert;
    the partial unique index then refuses ours and we draw again.
    """
    for _ in range(5):
        code = await allocate_code(session, secret_key)
        token = new_token()
        share_key = new_share_key()
        blob = seal_credentials(secret_key, share_key, code, token)
        try:
            async with session.begin_nested():
                await fill(
                    hash_code(secret_key, code),
                    hash_token(secret_key, token),
                    hash_share_key(secret_key, share_key),
                    blob,
                    {
                        "offline_code_hash": offline_code_hash(secret_key, community_id, code),
                        "offline_token_hash": offline_token_hash(secret_key, community_id, token),
                    },
                )
        except IntegrityError:
            continue
        return code, token, share_key
    raise PassError("no_free_code")


async def issue_visitor_pass(
    session: AsyncSession,
    *,
    secret_key: str,
    now: datetime,
    host_person_id: int,
    host_unit_id: int,
    purpose: str,
    valid_from: datetime,
    valid_until: datetime,
    multi_entry: bool,
    gate_ids: list[int],
    holder_name: str = "",
    car_plate: str | None = None,
) -> IssuedPass:
    unit = await host_unit(session, host_person_id, host_unit_id)
    purpose = clean_text(purpose, PURPOSE_MAX_LEN)
    if not purpose:
        raise PassError("no_purpose")
    valid_from = check_visitor_window(valid_from, valid_until, now)
    chosen = await check_gates(session, unit.community_id, gate_ids)
    plate = valid_plate(car_plate)
    if plate is None and (car_plate or "").strip():
        raise PassError("bad_plate")
    row = Pass(
        community_id=unit.community_id,
        kind=PassKind.VISITOR,
        status=PassStatus.ACTIVE,
        host_person_id=host_person_id,
        host_unit_id=unit.id,
        holder_name=clean_text(holder_name, NAME_MAX_LEN),
        purpose=purpose,
        car_plate=plate,
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=None if multi_entry else 1,
        uses_count=0,
        gate_ids=chosen,
        created_at=now,
    )
    return await insert_active_pass(session, secret_key, row)


async def insert_active_pass(session: AsyncSession, secret_key: str, row: Pass) -> IssuedPass:
    """Write a new active pass with fresh credentials (a visitor's, a courier's, daily
    help's) and return them: the only time they exist in plain text."""

    async def fill(
        code_hash: str, token_hash: str, share_hash: str, blob: bytes, offline: dict[str, str]
    ) -> None:
        row.code_hash, row.token_hash, row.share_hash, row.share_blob = (
            code_hash,
            token_hash,
            share_hash,
            blob,
        )
        row.offline_code_hash = offline["offline_code_hash"]
        row.offline_token_hash = offline["offline_token_hash"]
        if row not in session:
            session.add(row)
        await session.flush()

    code, token, share_key = await _insert_with_credentials(
        session, secret_key, row.community_id, fill
    )
    return IssuedPass(row.id, code, token, share_key, row.valid_from, row.valid_until)


async def request_worker_pass(
    session: AsyncSession,
    *,
    now: datetime,
    host_person_id: int,
    host_unit_id: int,
    worker_name: str,
    worker_phone: str,
    company: str,
    category: WorkerCategory,
    first_day: date,
    last_day: date,
    daily_start_min: int,
    daily_end_min: int,
    weekdays: int,
    gate_ids: list[int],
) -> Pass:
    unit = await host_unit(session, host_person_id, host_unit_id)
    community = await session.get(Community, unit.community_id)
    assert community is not None
    worker_name = clean_text(worker_name, NAME_MAX_LEN)
    if not worker_name:
        raise PassError("no_name")
    phone = clean_phone(worker_phone or "")
    if phone is None:
        raise PassError("bad_phone")
    check_worker_days(first_day, last_day, now.astimezone(ZoneInfo(community.timezone)).date())
    check_worker_hours(daily_start_min, daily_end_min)
    if not 0 < weekdays <= ALL_WEEKDAYS:
        raise PassError("bad_weekday")
    chosen = await check_gates(session, unit.community_id, gate_ids)
    valid_from, valid_until = local_day_bounds(first_day, last_day, community.timezone)
    row = Pass(
        community_id=unit.community_id,
        kind=PassKind.WORKER,
        status=PassStatus.PENDING,
        host_person_id=host_person_id,
        host_unit_id=unit.id,
        holder_name=worker_name,
        holder_phone=phone,
        company=clean_text(company, COMPANY_MAX_LEN),
        category=category,
        purpose=category.value,
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=None,
        uses_count=0,
        gate_ids=chosen,
        daily_start_min=daily_start_min,
        daily_end_min=daily_end_min,
        weekdays=weekdays,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def approve_worker_pass(
    session: AsyncSession,
    *,
    secret_key: str,
    now: datetime,
    pass_id: int,
    community_id: int,
    staff_person_id: int,
) -> IssuedPass:
    """Pending → active with a fresh multi-use code and QR; once only, however many click."""
    row = await session.scalar(
        select(Pass).where(
            Pass.id == pass_id, Pass.community_id == community_id, Pass.kind == PassKind.WORKER
        )
    )
    if row is None:
        raise PassError("not_found")
    if row.status != PassStatus.PENDING:
        raise PassError("already_decided", status=row.status.value)
    if row.valid_until <= now:
        raise PassError("expired")

    async def fill(
        code_hash: str, token_hash: str, share_hash: str, blob: bytes, offline: dict[str, str]
    ) -> None:
        result = await session.execute(
            update(Pass)
            .where(Pass.id == pass_id, Pass.status == PassStatus.PENDING)
            .values(
                status=PassStatus.ACTIVE,
                code_hash=code_hash,
                token_hash=token_hash,
                share_hash=share_hash,
                share_blob=blob,
                **offline,
                decided_at=now,
                decided_by_person_id=staff_person_id,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise PassError("already_decided", status="active")

    code, token, share_key = await _insert_with_credentials(session, secret_key, community_id, fill)
    await session.refresh(row)
    return IssuedPass(row.id, code, token, share_key, row.valid_from, row.valid_until)


async def reject_worker_pass(
    session: AsyncSession, *, now: datetime, pass_id: int, community_id: int, staff_person_id: int
) -> Pass:
    result = await session.execute(
        update(Pass)
        .where(
            Pass.id == pass_id,
            Pass.community_id == community_id,
            Pass.kind == PassKind.WORKER,
            Pass.status == PassStatus.PENDING,
        )
        .values(status=PassStatus.REJECTED, decided_at=now, decided_by_person_id=staff_person_id)
        .execution_options(synchronize_session=False)
    )
    row = await session.get(Pass, pass_id, populate_existing=True)
    if row is None or row.community_id != community_id:
        raise PassError("not_found")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PassError("already_decided", status=row.status.value)
    return row
