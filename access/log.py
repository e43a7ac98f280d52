"""Reading the access log: filtered queries for staff and a CSV export.

The log itself is append-only (database triggers); nothing here writes to it.
Times are stored in UTC; a "day" filter means a calendar day in the
community's time zone, and the CSV carries both UTC and local times.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import AccessLogEntry, Gate, Pass
from core.models import Building, Unit

MAX_ROWS = 5000


@dataclass(frozen=True)
class LogRow:
    id: int
    at: datetime
    gate_name: str
    method: str
    direction: str
    granted: bool
    reason: str
    holder_name: str
    unit_label: str
    pass_id: int | None
    pass_kind: str | None
    person_id: int | None
    terminal: str | None
    ref_id: int | None


@dataclass(frozen=True)
class LogFilter:
    gate_id: int | None = None
    unit_id: int | None = None
    day: date | None = None


async def query_log(
    session: AsyncSession,
    community_id: int,
    timezone: str,
    flt: LogFilter,
    *,
    limit: int = 30,
) -> list[LogRow]:
    """Newest first."""
    query = (
        select(AccessLogEntry, Gate.name, Building.name, Unit.number, Pass.kind)
        .outerjoin(Gate, Gate.id == AccessLogEntry.gate_id)
        .outerjoin(Unit, Unit.id == AccessLogEntry.host_unit_id)
        .outerjoin(Building, Building.id == Unit.building_id)
        .outerjoin(Pass, Pass.id == AccessLogEntry.pass_id)
        .where(AccessLogEntry.community_id == community_id)
    )
    if flt.gate_id is not None:
        query = query.where(AccessLogEntry.gate_id == flt.gate_id)
    if flt.unit_id is not None:
        query = query.where(AccessLogEntry.host_unit_id == flt.unit_id)
    if flt.day is not None:
        zone = ZoneInfo(timezone)
        start = datetime.combine(flt.day, time(0, 0), zone)
        end = datetime.combine(flt.day + timedelta(days=1), time(0, 0), zone)
        query = query.where(AccessLogEntry.at >= start, AccessLogEntry.at < end)
    query = query.order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
    query = query.limit(min(limit, MAX_ROWS))
    rows = (await session.execute(query)).all()
    return [
        LogRow(
            id=entry.id,
            at=entry.at,
            gate_name=gate_name or "",
            method=entry.method,
            direction=entry.direction,
            granted=entry.granted,
            reason=entry.reason,
            holder_name=entry.holder_name,
            unit_label=f"{building}-{number}" if building else "",
            pass_id=entry.pass_id,
            pass_kind=str(kind) if kind else None,
            person_id=entry.person_id,
            terminal=entry.terminal,
            ref_id=entry.ref_id,
        )
        for entry, gate_name, building, number, kind in rows
    ]


CSV_COLUMNS = (
    "id",
    "time_utc",
    "time_local",
    "gate",
    "method",
    "direction",
    "granted",
    "reason",
    "holder",
    "unit",
    "pass_id",
    "pass_kind",
    "person_id",
    "terminal",
    "decision_ref",
)


def _safe(value: str) -> str:
    # Spreadsheets run cells that start with = + - @ as formulas (CSV injection);
    # names come from residents, so neutralise them.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(rows: list[LogRow], timezone: str) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs read Chinese names correctly."""
    zone = ZoneInfo(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.id,
                r.at.isoformat(timespec="seconds"),
                r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                _safe(r.gate_name),
                r.method,
                r.direction,
                "yes" if r.granted else "no",
                r.reason,
                _safe(r.holder_name),
                _safe(r.unit_label),
                r.pass_id or "",
                r.pass_kind or "",
                r.person_id or "",
                _safe(r.terminal or ""),
                r.ref_id or "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
