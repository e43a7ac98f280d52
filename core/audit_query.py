"""Reading the audit log: the filter people type, the rows it selects, the CSV.

A filter is what a manager types after ``/audit`` (or an operator passes to
``courtyard audit``): any of a person (``@username``, a Telegram id, or part of a
name), an action (``fees`` for every fee action, or ``fees.refund``) and a day or
range of days (``2026-12-01``, ``2026-12-01..2026-12-03``, open ends allowed), in
any order. Days are the community's (its time zone). :func:`parse_filter` reads
the typed text, :func:`make_filter` the operator's options; both raise
:class:`AuditFilterError` with a ``code``. :func:`find_audit` returns rows newest
first, of one community or (``community_id=None``, the operator) of all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import RECORDED_ACTIONS, record_audit
from core.models import AuditEntry, Community, Person
from core.permissions import STAFF_ACTIONS

# Every action the log can hold: what services record, and the staff actions
# (whose refusals are recorded under their own name).
KNOWN_ACTIONS: frozenset[str] = RECORDED_ACTIONS | frozenset(STAFF_ACTIONS)

PAGE_SIZE = 10
EXPORT_MAX_ROWS = 20_000  # a bigger export is cut here; the caller says so
PERSON_MAX_LEN = 60

_DAY = r"\d{4}-\d{1,2}-\d{1,2}"
_DAYS = re.compile(rf"(?P<since>{_DAY})?(?P<dots>\.\.)?(?P<until>{_DAY})?")
_DATE_LIKE = re.compile(r"\d+-[\d.-]*|\.\.[\d.-]*")  # meant as a date, right or wrong
_ACTION = re.compile(r"[a-z_]+(\.[a-z_]+)*")
_USERNAME = re.compile(r"@[A-Za-z0-9_]{1,32}")


class AuditFilterError(Exception):
    """A filter that cannot be read. ``code``: ``bad_date`` (``token``), ``bad_range``
    (the first day after the last), ``two_dates``, ``two_actions``, ``bad_action``
    (``token``), ``bad_person`` (an @username with spaces or bad characters),
    ``long_person`` (``limit``)."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class AuditFilter:
    person: str | None = None  # as typed: "@alice", "123456789" or part of a name
    action: str | None = None  # a whole action or its area ("fees")
    since: date | None = None  # first day, inclusive
    until: date | None = None  # last day, inclusive

    @property
    def empty(self) -> bool:
        return not (self.person or self.action or self.since or self.until)

    def text(self) -> str:
        """The filter as it would be typed (parsing it gives the same filter)."""
        parts = [self.action or ""]
        if self.since or self.until:
            since = self.since.isoformat() if self.since else ""
            until = self.until.isoformat() if self.until else ""
            parts.append(since if self.since == self.until else f"{since}..{until}")
        parts.append(self.person or "")
        return " ".join(part for part in parts if part)


def is_action(token: str) -> bool:
    """Whether ``token`` names an action or an area of actions the log knows."""
    token = token.removesuffix(".")
    return any(a == token or a.startswith(token + ".") for a in KNOWN_ACTIONS)


def parse_filter(text: str) -> AuditFilter:
    """The filter typed after /audit. A date-shaped word is a date (or a mistake);
    an action the log knows is the action; the rest, together, is the person."""
    action: str | None = None
    days: tuple[date | None, date | None] | None = None
    person: list[str] = []
    for token in text.split():
        if _DATE_LIKE.fullmatch(token):
            if days is not None:
                raise AuditFilterError("two_dates")
            days = _parse_days(token)
        elif _ACTION.fullmatch(token.lower().removesuffix(".")) and is_action(token.lower()):
            if action is not None:
                raise AuditFilterError("two_actions")
            action = token.lower().removesuffix(".")
        else:
            person.append(token)
    since, until = days or (None, None)
    return make_filter(person=" ".join(person) or None, action=action, since=since, until=until)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(_zero_padded(text))
    except ValueError:
        raise AuditFilterError("bad_date", token=text) from None


def make_filter(
    *,
    person: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> AuditFilter:
    """A checked filter from its parts (the operator's options, or parsed text)."""
    if since and until and since > until:
        raise AuditFilterError("bad_range", since=since, until=until)
    if action is not None:
        action = action.strip().lower().removesuffix(".")
        if not _ACTION.fullmatch(action):
            raise AuditFilterError("bad_action", token=action)
    if person is not None:
        person = " ".join(person.split()) or None
    if person is not None:
        if len(person) > PERSON_MAX_LEN:
            raise AuditFilterError("long_person", limit=PERSON_MAX_LEN)
        if person.startswith("@") and not _USERNAME.fullmatch(person):
            raise AuditFilterError("bad_person", token=person)
    return AuditFilter(person=person, action=action or None, since=since, until=until)


def _parse_days(token: str) -> tuple[date | None, date | None]:
    match = _DAYS.fullmatch(token)
    if match is None or not (match["since"] or match["until"]):
        raise AuditFilterError("bad_date", token=token)
    since = parse_day(match["since"]) if match["since"] else None
    until = parse_day(match["until"]) if match["until"] else None
    if not match["dots"]:
        until = since
    return since, until


def _zero_padded(text: str) -> str:
    year, _, rest = text.partition("-")
    month, _, day = rest.partition("-")
    return f"{year}-{month.zfill(2)}-{day.zfill(2)}"


# --- the rows -----------------------------------------------------------------------


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
