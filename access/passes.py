"""Pass services: visitor passes, worker pass requests and decisions, revocation,
the share link, history, expiry, overstay, and revocation when a residency ends.

Functions take the caller's ``AsyncSession`` and write in its transaction; they
raise :class:`PassError` with a ``code`` and never format user text. Plain
credentials (code, QR token, share key) exist only in the :class:`IssuedPass`
returned at issue time and in what :func:`open_shared_pass` decrypts with the link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import (
    SHARE_PREFIX,
    CredentialError,
    allocate_code,
    hash_code,
    hash_share_key,
    hash_token,
    is_share_key_shaped,
    new_share_key,
    new_token,
    open_credentials,
    seal_credentials,
)
from access.models import AccessLogEntry, Gate, Pass, PassKind, PassStatus, WorkerCategory
from core.db import utcnow
from core.models import Building, Community, Residency, ResidencyStatus, Unit
from core.privacy import export_time

MAX_VISITOR_WINDOW = timedelta(days=7)
MAX_VISITOR_ADVANCE = timedelta(days=30)
MAX_WORKER_DAYS = 92
ALL_WEEKDAYS = 0b1111111
MON_TO_SAT = 0b0111111


class PassError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


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


@dataclass(frozen=True)
class SharedPass:
    """What a visitor sees after opening the share link."""

    pass_: Pass
    community: Community
    code: str
    token: str
    gate_names: list[str]


@dataclass(frozen=True)
class AccessSettings:
    """Per-community settings, from ``Community.config["access"]``."""

    overstay_alert: bool = True
    overstay_grace_min: int = 30

    @classmethod
    def of(cls, community: Community) -> AccessSettings:
        raw = (community.config or {}).get("access") or {}
        return cls(
            overstay_alert=bool(raw.get("overstay_alert", True)),
            overstay_grace_min=int(raw.get("overstay_grace_min", 30)),
        )


def normalize_plate(raw: str | None) -> str | None:
    if raw is None:
        return None
    plate = re.sub(r"[\s·.-]", "", raw).upper()
    return plate or None


def weekdays_mask(days: list[int]) -> int:
    """Monday = 0 … Sunday = 6 to the bit mask stored on worker passes."""
    mask = 0
    for d in days:
        if not 0 <= d <= 6:
            raise PassError("bad_weekday")
        mask |= 1 << d
    return mask


def mask_weekdays(mask: int | None) -> list[int]:
    if mask is None:
        return list(range(7))
    return [d for d in range(7) if (mask >> d) & 1]


async def host_unit(session: AsyncSession, person_id: int, unit_id: int) -> Unit:
    """The unit, if ``person_id`` lives there now; else ``not_resident``."""
    unit = await session.scalar(
        select(Unit)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(
            Residency.person_id == person_id,
            Residency.unit_id == unit_id,
            Residency.status == ResidencyStatus.ACTIVE,
        )
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


async def _check_gates(session: AsyncSession, community_id: int, gate_ids: list[int]) -> list[int]:
    gates = await gates_of(session, community_id)
    if not gates:
        raise PassError("no_gates")
    known = {g.id for g in gates}
    chosen = sorted(set(gate_ids))
    if any(g not in known for g in chosen):
        raise PassError("bad_gate")
    # An empty list means every gate, including gates added later.
    return chosen


def _clean(text: str | None, limit: int) -> str:
    return re.sub(r"\s+", " ", text or "").strip()[:limit]


async def _insert_with_credentials(
    session: AsyncSession, secret_key: str, fill: Any
) -> tuple[str, str, str]:
    """Allocate credentials and flush ``fill(code_hash, token_hash, share_hash, blob)``.

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
    purpose = _clean(purpose, 200)
    if not purpose:
        raise PassError("no_purpose")
    if valid_from < now:
        valid_from = now
    if valid_until <= valid_from:
        raise PassError("bad_window")
    if valid_until - valid_from > MAX_VISITOR_WINDOW:
        raise PassError("window_too_long")
    if valid_from - now > MAX_VISITOR_ADVANCE:
        raise PassError("too_far_ahead")
    chosen = await _check_gates(session, unit.community_id, gate_ids)
    plate = normalize_plate(car_plate)
    if plate is not None and len(plate) > 20:
        raise PassError("bad_plate")
    row = Pass(
        community_id=unit.community_id,
        kind=PassKind.VISITOR,
        status=PassStatus.ACTIVE,
        host_person_id=host_person_id,
        host_unit_id=unit.id,
        holder_name=_clean(holder_name, 120),
        purpose=purpose,
        car_plate=plate,
        valid_from=valid_from,
        valid_until=valid_until,
        max_uses=None if multi_entry else 1,
        uses_count=0,
        gate_ids=chosen,
        created_at=now,
    )

    async def fill(code_hash: str, token_hash: str, share_hash: str, blob: bytes) -> None:
        row.code_hash, row.token_hash, row.share_hash, row.share_blob = (
            code_hash,
            token_hash,
            share_hash,
            blob,
        )
        if row not in session:
            session.add(row)
        await session.flush()

    code, token, share_key = await _insert_with_credentials(session, secret_key, fill)
    return IssuedPass(row.id, code, token, share_key, row.valid_from, row.valid_until)


def local_day_bounds(first_day: date, last_day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(first_day, time(0, 0), zone)
    end = datetime.combine(last_day + timedelta(days=1), time(0, 0), zone)
    return start, end


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
    worker_name = _clean(worker_name, 120)
    if not worker_name:
        raise PassError("no_name")
    phone = re.sub(r"[\s()-]", "", worker_phone or "")
    if not re.fullmatch(r"\+?\d{5,20}", phone):
        raise PassError("bad_phone")
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    if first_day < today:
        raise PassError("starts_in_past")
    if last_day < first_day:
        raise PassError("bad_range")
    if (last_day - first_day).days + 1 > MAX_WORKER_DAYS:
        raise PassError("range_too_long")
    if not 0 <= daily_start_min < daily_end_min <= 24 * 60:
        raise PassError("bad_hours")
    if not 0 < weekdays <= ALL_WEEKDAYS:
        raise PassError("bad_weekday")
    chosen = await _check_gates(session, unit.community_id, gate_ids)
    valid_from, valid_until = local_day_bounds(first_day, last_day, community.timezone)
    row = Pass(
        community_id=unit.community_id,
        kind=PassKind.WORKER,
        status=PassStatus.PENDING,
        host_person_id=host_person_id,
        host_unit_id=unit.id,
        holder_name=worker_name,
        holder_phone=phone,
        company=_clean(company, 120),
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

    async def fill(code_hash: str, token_hash: str, share_hash: str, blob: bytes) -> None:
        result = await session.execute(
            update(Pass)
            .where(Pass.id == pass_id, Pass.status == PassStatus.PENDING)
            .values(
                status=PassStatus.ACTIVE,
                code_hash=code_hash,
                token_hash=token_hash,
                share_hash=share_hash,
                share_blob=blob,
                decided_at=now,
                decided_by_person_id=staff_person_id,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise PassError("already_decided", status="active")

    code, token, share_key = await _insert_with_credentials(session, secret_key, fill)
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


async def revoke_pass(
    session: AsyncSession,
    *,
    now: datetime,
    pass_id: int,
    by_person_id: int | None,
    reason: str,
    host_person_id: int | None = None,
    community_id: int | None = None,
) -> Pass:
    """Revoke at once: the next decision at any gate refuses it (no cache in between)."""
    conditions = [Pass.id == pass_id, Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING])]
    if host_person_id is not None:
        conditions.append(Pass.host_person_id == host_person_id)
    if community_id is not None:
        conditions.append(Pass.community_id == community_id)
    result = await session.execute(
        update(Pass)
        .where(*conditions)
        .values(
            status=PassStatus.REVOKED,
            revoked_at=now,
            revoked_by_person_id=by_person_id,
            revoke_reason=reason[:40],
        )
        .execution_options(synchronize_session=False)
    )
    row = await session.get(Pass, pass_id, populate_existing=True)
    if row is None or (host_person_id is not None and row.host_person_id != host_person_id):
        raise PassError("not_found")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PassError("not_active", status=row.status.value)
    return row


async def get_pass(session: AsyncSession, pass_id: int) -> Pass | None:
    return await session.get(Pass, pass_id)


async def my_passes(session: AsyncSession, person_id: int, now: datetime) -> list[Pass]:
    """Passes a resident can still do something about: active and pending, not yet over."""
    return list(
        (
            await session.scalars(
                select(Pass)
                .where(
                    Pass.host_person_id == person_id,
                    Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
                    Pass.valid_until > now,
                )
                .order_by(Pass.valid_from, Pass.id)
            )
        ).all()
    )


@dataclass(frozen=True)
class UseRecord:
    at: datetime
    gate_name: str
    granted: bool
    reason: str
    direction: str
    holder_name: str
    pass_id: int | None
    pass_kind: str | None


async def pass_history(session: AsyncSession, person_id: int, limit: int = 20) -> list[UseRecord]:
    """Who used my passes: the access log rows of passes this person issued."""
    rows = (
        await session.execute(
            select(AccessLogEntry, Gate.name, Pass.kind)
            .join(Pass, Pass.id == AccessLogEntry.pass_id)
            .outerjoin(Gate, Gate.id == AccessLogEntry.gate_id)
            .where(Pass.host_person_id == person_id)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        UseRecord(
            at=entry.at,
            gate_name=gate_name or "",
            granted=entry.granted,
            reason=entry.reason,
            direction=entry.direction,
            holder_name=entry.holder_name,
            pass_id=entry.pass_id,
            pass_kind=str(kind) if kind else None,
        )
        for entry, gate_name, kind in rows
    ]


async def open_shared_pass(
    session: AsyncSession, *, secret_key: str, share_key: str, now: datetime
) -> SharedPass:
    """The pass behind a share link, with its code and QR token decrypted."""
    if not is_share_key_shaped(share_key):
        raise PassError("unknown")
    row = await session.scalar(
        select(Pass).where(Pass.share_hash == hash_share_key(secret_key, share_key))
    )
    if row is None or row.share_blob is None:
        raise PassError("unknown")
    if row.status == PassStatus.REVOKED:
        raise PassError("revoked")
    if row.status == PassStatus.EXPIRED or row.valid_until <= now:
        raise PassError("expired")
    if row.max_uses is not None and row.uses_count >= row.max_uses:
        raise PassError("used")
    try:
        code, token = open_credentials(secret_key, share_key, row.share_blob)
    except CredentialError:
        raise PassError("unknown") from None
    community = await session.get(Community, row.community_id)
    assert community is not None
    gates = await gates_of(session, row.community_id)
    names = [g.name for g in gates if not row.gate_ids or g.id in row.gate_ids]
    return SharedPass(row, community, code, token, names)


async def expire_passes(session: AsyncSession, now: datetime) -> int:
    """Mark passes whose window is over; frees their codes for reuse."""
    result = await session.execute(
        update(Pass)
        .where(
            Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
            Pass.valid_until <= now,
        )
        .values(status=PassStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim_overstays(session: AsyncSession, now: datetime) -> list[Pass]:
    """Visitors recorded entering and not leaving, past their window plus the grace.

    Each is claimed with a conditional UPDATE, so two schedulers never alert twice.
    """
    candidates = (
        await session.execute(
            select(Pass, Community)
            .join(Community, Community.id == Pass.community_id)
            .where(
                # Workers come and go over days; the alert is about a visitor's stay.
                Pass.kind == PassKind.VISITOR,
                Pass.inside.is_(True),
                Pass.overstay_notified_at.is_(None),
                Pass.valid_until <= now,
                Pass.status.in_([PassStatus.ACTIVE, PassStatus.EXPIRED]),
            )
            .limit(500)
        )
    ).all()
    claimed: list[Pass] = []
    for row, community in candidates:
        settings = AccessSettings.of(community)
        if not settings.overstay_alert:
            continue
        if row.valid_until + timedelta(minutes=settings.overstay_grace_min) > now:
            continue
        result = await session.execute(
            update(Pass)
            .where(Pass.id == row.id, Pass.overstay_notified_at.is_(None))
            .values(overstay_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    return claimed


async def revoke_passes_of_residency(session: AsyncSession, residency: Residency) -> None:
    """Moving out ends every pass the person issued for that home, workers' included."""
    await session.execute(
        update(Pass)
        .where(
            Pass.host_person_id == residency.person_id,
            Pass.host_unit_id == residency.unit_id,
            Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
        )
        .values(
            status=PassStatus.REVOKED,
            revoked_at=residency.ended_at or utcnow(),
            revoke_reason="residency_ended",
        )
        .execution_options(synchronize_session=False)
    )


# --- a person's own data ------------------------------------------------------------------

#: The most recent access-log entries a /privacy export carries (the rest are counted).
EXPORT_LOG_LIMIT = 1000
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hhmm(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


async def personal_access_data(
    session: AsyncSession, person_id: int, *, log_limit: int = EXPORT_LOG_LIMIT
) -> dict[str, Any]:
    """The person's passes and gate records, for their /privacy export.

    ``passes``: every visitor and worker pass they created as host, with what they
    entered about the visitor or worker (name, phone, company, plate, purpose), the
    window, gates, status and uses. Never the code, the QR token, their digests or
    the sealed share blob: the export travels through Telegram, and a pass still
    active would open the gate for whoever reads it.

    ``access_log``: the gate decisions naming them (remote, face or staff
    openings: ``as`` is ``me``) or about a pass they issued (``my_pass``), newest
    first, at most ``log_limit``; ``access_log_total`` says how many there are
    and ``access_log_omitted`` how many older ones were left out.
    """
    my_pass_ids = select(Pass.id).where(Pass.host_person_id == person_id)
    passes = (
        await session.execute(
            select(Pass, Community.name, Building.name, Unit.number)
            .join(Community, Community.id == Pass.community_id)
            .join(Unit, Unit.id == Pass.host_unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Pass.host_person_id == person_id)
            .order_by(Pass.created_at, Pass.id)
        )
    ).all()
    wanted = {g for p, *_ in passes for g in p.gate_ids or []}
    gate_names: dict[int, str] = {}
    if wanted:
        rows = await session.execute(select(Gate.id, Gate.name).where(Gate.id.in_(wanted)))
        gate_names = {gate_id: name for gate_id, name in rows.all()}

    def by(actor: int | None) -> str | None:
        return None if actor is None else "me" if actor == person_id else "staff"

    mine = or_(AccessLogEntry.person_id == person_id, AccessLogEntry.pass_id.in_(my_pass_ids))
    total = int(
        await session.scalar(select(func.count()).select_from(AccessLogEntry).where(mine)) or 0
    )
    entries = (
        await session.execute(
            select(AccessLogEntry, Community.name, Gate.name, Pass.kind)
            .join(Community, Community.id == AccessLogEntry.community_id)
            .outerjoin(Gate, Gate.id == AccessLogEntry.gate_id)
            .outerjoin(Pass, Pass.id == AccessLogEntry.pass_id)
            .where(mine)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
            .limit(log_limit)
        )
    ).all()
    return {
        "passes": [
            {
                "kind": p.kind.value,
                "community": community,
                "unit": f"{building}-{number}",
                "status": p.status.value,
                "name": p.holder_name,
                "phone": p.holder_phone,
                "company": p.company,
                "category": p.category.value if p.category else None,
                "purpose": p.purpose,
                "car_plate": p.car_plate,
                "valid_from": export_time(p.valid_from),
                "valid_until": export_time(p.valid_until),
                # Worker passes: daily hours in the community's local time.
                "daily_from": _hhmm(p.daily_start_min),
                "daily_until": _hhmm(p.daily_end_min),
                "weekdays": (
                    [_WEEKDAYS[d] for d in mask_weekdays(p.weekdays)]
                    if p.weekdays is not None
                    else None
                ),
                "all_gates": not p.gate_ids,
                "gates": [gate_names.get(g, "") for g in p.gate_ids or []],
                "max_uses": p.max_uses,
                "uses": p.uses_count,
                "inside": p.inside,
                "last_entry_at": export_time(p.last_entry_at),
                "last_exit_at": export_time(p.last_exit_at),
                "created_at": export_time(p.created_at),
                "decided_at": export_time(p.decided_at),
                "revoked_at": export_time(p.revoked_at),
                "revoked_by": by(p.revoked_by_person_id),
                "revoke_reason": p.revoke_reason,
            }
            for p, community, building, number in passes
        ],
        "access_log": [
            {
                "at": export_time(e.at),
                "community": community,
                "gate": gate,
                "method": e.method,
                "direction": e.direction,
                "granted": e.granted,
                "reason": e.reason,
                "as": "me" if e.person_id == person_id else "my_pass",
                "pass_kind": kind.value if kind else None,
                "name": e.holder_name,
            }
            for e, community, gate, kind in entries
        ],
        "access_log_total": total,
        "access_log_omitted": max(0, total - len(entries)),
    }


async def erase_pass_holders(session: AsyncSession, person_id: int, *, now: datetime) -> None:
    """Erasure (/privacy): forget what the person entered about their visitors and workers.

    Every pass they hosted still active or pending is revoked first (ending their
    residencies has revoked those of their homes already; this catches any other),
    then the name, phone, company, plate and purpose they typed are blanked. The
    access log keeps its own copy of the name at each gate decision: it is the
    append-only security record (decision 0013).
    """
    await session.execute(
        update(Pass)
        .where(
            Pass.host_person_id == person_id,
            Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]),
        )
        .values(status=PassStatus.REVOKED, revoked_at=now, revoke_reason="data_erased")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Pass)
        .where(Pass.host_person_id == person_id)
        .values(holder_name="", holder_phone=None, company="", purpose="", car_plate=None)
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "ALL_WEEKDAYS",
    "MON_TO_SAT",
    "AccessSettings",
    "IssuedPass",
    "PassError",
    "SharedPass",
    "UseRecord",
]
