"""A person's passes and gate records for their /privacy export, and what their erasure
blanks (see :mod:`core.privacy`; the access log itself is append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import (
    AccessLogEntry,
    Gate,
    Pass,
    PassHousehold,
    PassKind,
    PassStatus,
    ResidentGateKey,
)
from access.passes.rules import mask_weekdays
from core.models import Building, Community, Unit
from core.privacy import export_time

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

    ``gate_qr``: when each of their personal gate QR codes was shown and revoked.

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
        # The daily-help passes their household shares (joined, or suspended for it).
        "daily_help_shared": [
            {
                "name": p.holder_name,
                "unit": f"{building}-{number}",
                "joined_at": export_time(link.joined_at),
                "suspended_at": export_time(link.suspended_at),
            }
            for link, p, building, number in await _households(session, person_id)
        ],
        "access_log_total": total,
        "access_log_omitted": max(0, total - len(entries)),
        "gate_qr": await _gate_qr(session, person_id),
    }


async def _gate_qr(session: AsyncSession, person_id: int) -> list[dict[str, Any]]:
    """When each personal gate QR was shown and revoked (never the QR or its digest)."""
    rows = await session.execute(
        select(ResidentGateKey.created_at, ResidentGateKey.revoked_at, Community.name)
        .join(Community, Community.id == ResidentGateKey.community_id)
        .where(ResidentGateKey.person_id == person_id)
        .order_by(ResidentGateKey.id)
    )
    return [
        {"community": name, "shown_at": export_time(shown), "revoked_at": export_time(revoked)}
        for shown, revoked, name in rows.all()
    ]


async def _households(session: AsyncSession, person_id: int) -> list[Any]:
    return list(
        (
            await session.execute(
                select(PassHousehold, Pass, Building.name, Unit.number)
                .join(Pass, Pass.id == PassHousehold.pass_id)
                .join(Unit, Unit.id == PassHousehold.unit_id)
                .join(Building, Building.id == Unit.building_id)
                .where(PassHousehold.person_id == person_id)
                .order_by(PassHousehold.id)
            )
        ).all()
    )


async def erase_pass_holders(session: AsyncSession, person_id: int, *, now: datetime) -> None:
    """Erasure (/privacy): forget what the person entered about their visitors and workers.

    Every pass they hosted still active or pending is revoked first (ending their
    residencies has revoked those of their homes already; this catches any other),
    then the name, phone, company, plate and purpose they typed are blanked. The
    access log keeps its own copy of the name at each gate decision: it is the
    append-only security record (decision 0013). Their households' shares of daily
    help end; a daily-help pass they made that other households still share is theirs
    now, and is left to them (decision 0031).
    """
    await session.execute(delete(PassHousehold).where(PassHousehold.person_id == person_id))
    shared = select(PassHousehold.pass_id).where(PassHousehold.person_id.is_not(None))
    hosted = and_(
        Pass.host_person_id == person_id,
        or_(Pass.kind != PassKind.DAILY_HELP, Pass.id.not_in(shared)),
    )
    await session.execute(
        update(Pass)
        .where(hosted, Pass.status.in_([PassStatus.ACTIVE, PassStatus.PENDING]))
        .values(status=PassStatus.REVOKED, revoked_at=now, revoke_reason="data_erased")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Pass)
        .where(hosted)
        .values(holder_name="", holder_phone=None, company="", purpose="", car_plate=None)
        .execution_options(synchronize_session=False)
    )
