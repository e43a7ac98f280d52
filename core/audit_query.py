"""Reading the audit log: the rows a filter selects, newest first, and the CSV.

:func:`find_audit` returns the rows of one community or (``community_id=None``,
the operator) of all, with each actor's name and a person target's name;
:func:`export_audit` is the same for an export, which is itself recorded. The
filter is ``core.audit_filter``'s; its days are read in the zone given (the
community's). This module also keeps the Telegram @username people are found by
in the /privacy export and erasure.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.audit_filter import AuditFilter
from core.models import AuditEntry, Community, Person
from core.privacy import on_person_erased, on_personal_export

PAGE_SIZE = 10
EXPORT_MAX_ROWS = 20_000  # a bigger export is cut here; the caller says so


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    allowed: bool
    community_id: int | None
    community_name: str | None
    timezone: str | None  # the community's, None for rows of no community
    person_id: int | None
    telegram_id: int | None  # the actor's, as recorded
    name: str  # the actor's name now ("" for none, or no person)
    username: str | None
    target_type: str | None
    target_id: str | None
    target_name: str | None = None  # a person's name, when the target is a person
    details: dict[str, Any] = field(default_factory=dict)


def _where(query: Select[Any], flt: AuditFilter, community_id: int | None, tz: str) -> Select[Any]:
    if community_id is not None:
        query = query.where(AuditEntry.community_id == community_id)
    if flt.action:
        query = query.where(
            or_(AuditEntry.action == flt.action, AuditEntry.action.startswith(flt.action + "."))
        )
    zone = ZoneInfo(tz)
    if flt.since:
        query = query.where(AuditEntry.at >= datetime.combine(flt.since, time(), zone))
    if flt.until:
        end = datetime.combine(flt.until + timedelta(days=1), time(), zone)
        query = query.where(AuditEntry.at < end)
    person = flt.person
    if person:
        if person.startswith("@"):
            query = query.where(func.lower(Person.username) == person[1:].lower())
        elif person.isdigit():
            number = int(person)
            query = query.where(
                or_(AuditEntry.actor_telegram_id == number, Person.telegram_id == number)
            )
        else:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", person) + "%"
            query = query.where(Person.full_name.ilike(pattern, escape="\\"))
    return query


_ROW_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.action,
    AuditEntry.allowed,
    AuditEntry.community_id,
    Community.name,
    Community.timezone,
    AuditEntry.actor_person_id,
    AuditEntry.actor_telegram_id,
    Person.full_name,
    Person.username,
    AuditEntry.target_type,
    AuditEntry.target_id,
    AuditEntry.details,
)


async def find_audit(
    session: AsyncSession,
    flt: AuditFilter,
    *,
    community_id: int | None,
    tz: str,
    offset: int = 0,
    limit: int | None = None,
) -> list[AuditRow]:
    """The rows of ``community_id`` (None: every community's, and none's) matching
    ``flt``, newest first; days are read in ``tz`` (the community's zone)."""
    query = (
        select(*_ROW_COLUMNS)
        .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
        .outerjoin(Community, Community.id == AuditEntry.community_id)
    )
    query = _where(query, flt, community_id, tz)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = [
        AuditRow(
            id=r[0],
            at=r[1],
            action=r[2],
            allowed=r[3],
            community_id=r[4],
            community_name=r[5],
            timezone=r[6],
            person_id=r[7],
            telegram_id=r[8],
            name=r[9] or "",
            username=r[10],
            target_type=r[11],
            target_id=r[12],
            details=r[13] or {},
        )
        for r in (await session.execute(query)).all()
    ]
    return await _with_target_names(session, rows)


async def count_audit(
    session: AsyncSession, flt: AuditFilter, *, community_id: int | None, tz: str
) -> int:
    query = select(func.count(AuditEntry.id)).outerjoin(
        Person, Person.id == AuditEntry.actor_person_id
    )
    return int(await session.scalar(_where(query, flt, community_id, tz)) or 0)


async def export_audit(
    session: AsyncSession,
    flt: AuditFilter,
    *,
    community_id: int,
    tz: str,
    actor_person_id: int | None,
    actor_telegram_id: int | None,
) -> tuple[list[AuditRow], bool]:
    """The rows an export holds: at most :data:`EXPORT_MAX_ROWS`, newest first, and
    whether more matched. Taking a copy of the log is itself a row of it."""
    rows = await find_audit(
        session, flt, community_id=community_id, tz=tz, limit=EXPORT_MAX_ROWS + 1
    )
    cut = len(rows) > EXPORT_MAX_ROWS
    rows = rows[:EXPORT_MAX_ROWS]
    await record_audit(
        session,
        "audit.export",
        community_id=community_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        details={"filter": flt.text(), "rows": len(rows)},
    )
    return rows, cut


async def _with_target_names(session: AsyncSession, rows: list[AuditRow]) -> list[AuditRow]:
    """Rows whose target is a person carry that person's name (never only an id)."""
    ids = {int(r.target_id) for r in rows if _person_target(r)}  # type: ignore[arg-type]
    if not ids:
        return rows
    query = select(Person.id, Person.full_name).where(Person.id.in_(ids))
    names = {person_id: name for person_id, name in (await session.execute(query)).all()}
    return [
        replace(r, target_name=names.get(int(r.target_id), "")) if _person_target(r) else r  # type: ignore[arg-type]
        for r in rows
    ]


def _person_target(row: AuditRow) -> bool:
    return row.target_type == "person" and row.target_id is not None and row.target_id.isdigit()


# --- the CSV ------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "time_local",
    "time_zone",
    "time_utc",
    "community",
    "person",
    "username",
    "telegram_id",
    "action",
    "action_label",
    "allowed",
    "target_type",
    "target",
    "details",
)


def _safe(value: str) -> str:
    # Spreadsheets run cells that start with = + - @ as formulas (CSV injection);
    # names come from people, so neutralise them.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_csv(
    rows: Iterable[AuditRow],
    *,
    tz: str,
    label: Callable[[str], str],
    person: Callable[[AuditRow], str],
) -> bytes:
    """UTF-8 with a BOM (so spreadsheet programs read Chinese), one line per row,
    local times in each row's community zone (``tz`` for rows of none). ``label``
    names an action, ``person`` the actor, in the reader's language."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        zone = r.timezone or tz
        target = r.target_name if r.target_name is not None else (r.target_id or "")
        writer.writerow(
            [
                r.id,
                r.at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S"),
                zone,
                r.at.astimezone(UTC).isoformat(timespec="seconds"),
                _safe(r.community_name or ""),
                _safe(person(r)),
                r.username or "",
                r.telegram_id or "",
                r.action,
                _safe(label(r.action)),
                "yes" if r.allowed else "no",
                r.target_type or "",
                _safe(target),
                json.dumps(r.details, ensure_ascii=False, sort_keys=True) if r.details else "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- the @username, personal data ----------------------------------------------------


@on_personal_export("telegram")
async def _export_username(session: AsyncSession, person_id: int) -> dict[str, Any]:
    username = await session.scalar(select(Person.username).where(Person.id == person_id))
    return {"username": username}


@on_person_erased("telegram")
async def _erase_username(session: AsyncSession, person_id: int) -> None:
    await session.execute(update(Person).where(Person.id == person_id).values(username=None))
