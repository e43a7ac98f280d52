"""Reading the access log: filtered queries for staff and a CSV export.

The log itself is append-only (database triggers); nothing here writes to it.
Times are stored in UTC; a "day" filter means a calendar day in the
community's time zone, and the CSV carries both UTC and local times.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.gates import gate_by_name
from access.models import AccessLogEntry, Gate, Pass
from core.models import Building, Person, Unit
from core.units import find_unit_by_label

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
    # Who decided a walk-in or intercom call (the resident who answered).
    person_name: str = ""


@dataclass(frozen=True)
class LogFilter:
    gate_id: int | None = None
    unit_id: int | None = None
    day: date | None = None

    def key(self) -> tuple[str, str]:
        """(kind, value) of a one-condition filter, short enough for a button."""
        if self.day is not None:
            return "day", self.day.isoformat()
        if self.gate_id is not None:
            return "gate", str(self.gate_id)
        if self.unit_id is not None:
            return "unit", str(self.unit_id)
        return "all", ""

    @classmethod
    def from_key(cls, kind: str, value: str) -> LogFilter | None:
        """The filter :meth:`key` describes; None for a key it never makes."""
        try:
            if kind == "all":
                return cls()
            if kind == "day":
                return cls(day=date.fromisoformat(value))
            if kind == "gate":
                return cls(gate_id=int(value))
            if kind == "unit":
                return cls(unit_id=int(value))
        except ValueError:
            return None
        return None


def parse_log_day(text: str, today: date) -> date | None:
    """today / 今天, yesterday / 昨天, or ``2026-11-25``."""
    lowered = text.strip().lower()
    if lowered in ("today", "今天"):
        return today
    if lowered in ("yesterday", "昨天"):
        return today - timedelta(days=1)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", lowered)
    if match:
        try:
            return date(*(int(x) for x in match.groups()))
        except ValueError:
            return None
    return None


async def resolve_log_filter(
    session: AsyncSession, community_id: int, text: str, today: date
) -> LogFilter | None:
    """What staff asked the log for: everything (no text), a day, a gate by its name,
    or a unit as people type it (:func:`find_unit_by_label`); None when nothing matches."""
    text = text.strip()
    if not text:
        return LogFilter()
    day = parse_log_day(text, today)
    if day is not None:
        return LogFilter(day=day)
    gate = await gate_by_name(session, community_id, text)
    if gate is not None:
        return LogFilter(gate_id=gate.id)
    unit = await find_unit_by_label(session, community_id, text)
    if unit is not None:
        return LogFilter(unit_id=unit.id)
    return None


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
        select(AccessLogEntry, Gate.name, Building.name, Unit.number, Pass.kind, Person.full_name)
        .outerjoin(Gate, Gate.id == AccessLogEntry.gate_id)
        .outerjoin(Person, Person.id == AccessLogEntry.person_id)
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
            person_name=person_name or "",
        )
        for entry, gate_name, building, number, kind, person_name in rows
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
