"""Communities as the operator and the managers set them up.

Public API (what other areas may call):

- :func:`create_community` — a new community with its time zone and currency.
- :func:`find_community` — by id or exact name (the CLI's ``COMMUNITY`` argument).
- :func:`parse_units_csv` / :func:`import_units` — the ``building,unit,floor,area_m2``
  unit list: all rows are validated first and every error is reported with its
  line number; then everything is written in the caller's one transaction, so a
  malformed file changes nothing and re-importing the same file changes nothing.
- :func:`add_staff`, :func:`change_staff_role`, :func:`remove_staff`,
  :func:`list_staff` — staff of a community. The last active manager cannot be
  removed or demoted, so a community always has someone who can run ``/setup``.
- :func:`bind_admin_group` — what ``/setup`` stores: ``Community.admin_chat_id``
  and ``admin_chat_is_forum``. Other areas find the community of an admin chat
  with ``handlers.staff.AdminGroup()`` / ``core.identity.community_by_admin_chat``.

Services raise :class:`CommunityError` with a ``code``; they never format user text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_name
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.models import Building, Community, Person, Staff, StaffRole, Unit

CSV_HEADER = ("building", "unit", "floor", "area_m2")
MAX_AREA = Decimal("99999999.99")
# Rows per INSERT … VALUES batch: large enough to be fast, small enough for
# SQLite's bound-parameter limit (6 columns × 500).
_BATCH = 500

ProgressCallback = Callable[[int], None]


class CommunityError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# --- communities ------------------------------------------------------------------


async def create_community(
    session: AsyncSession,
    name: str,
    *,
    timezone: str,
    currency: str,
    locale: str = "zh_Hans",
    address: str = "",
    duty_phone: str = "",
    document_retention_days: int | None = None,
) -> Community:
    name = name.strip()
    if not name or len(name) > 120:
        raise CommunityError("bad_name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommunityError("bad_timezone", timezone=timezone) from None
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha() or get_currency_name(currency) == currency:
        raise CommunityError("bad_currency", currency=currency)
    if locale not in ("zh_Hans", "en"):
        raise CommunityError("bad_locale", locale=locale)
    if await session.scalar(select(Community.id).where(Community.name == name)) is not None:
        raise CommunityError("exists", name=name)
    config: dict[str, Any] = {}
    if document_retention_days is not None:
        if not 1 <= document_retention_days <= 3650:
            raise CommunityError("bad_retention")
        config["document_retention_days"] = document_retention_days
    community = Community(
        name=name,
        timezone=timezone,
        currency=currency,
        locale=locale,
        address=address.strip(),
        duty_phone=duty_phone.strip(),
        config=config,
    )
    session.add(community)
    await session.flush()
    await record_audit(
        session,
        "community.created",
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        details={"name": name, "timezone": timezone, "currency": currency},
    )
    return community


async def find_community(session: AsyncSession, ref: str) -> Community:
    """A community by numeric id or by exact name."""
    ref = ref.strip()
    community = await session.scalar(select(Community).where(Community.name == ref))
    if community is None and ref.isdigit():
        community = await session.get(Community, int(ref))
    if community is None:
        raise CommunityError("not_found", ref=ref)
    return community


async def list_communities(session: AsyncSession) -> list[Community]:
    return list((await session.scalars(select(Community).order_by(Community.name))).all())


# --- unit import ------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    line: int
    building: str
    unit: str
    floor: int | None
    area_m2: Decimal


@dataclass(frozen=True)
class RowError:
    line: int
    code: str  # missing_building, bad_floor, duplicate … (the CLI words them)
    detail: str = ""


@dataclass
class ImportReport:
    rows: int = 0
    buildings_created: int = 0
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.buildings_created or self.units_created or self.units_updated)


class UnitsCsvError(CommunityError):
    """The file cannot be imported; ``errors`` lists every problem by line."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("invalid_csv", count=len(errors))
        self.errors = errors


def _clean(value: str | None) -> str:
    # NBSP and full-width spaces come with spreadsheets exported on Chinese systems.
    return (value or "").replace("\u00a0", " ").replace("\u3000", " ").strip()


def parse_units_csv(data: bytes | str) -> list[UnitRow]:
    """Validate the whole file; raise :class:`UnitsCsvError` listing every bad line."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # Line of the first undecodable byte, so the operator can find it.
            line = data[: exc.start].count(b"\n") + 1
            raise UnitsCsvError([RowError(line, "not_utf8")]) from None
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[RowError] = []
    try:
        header = next(reader)
    except StopIteration:
        raise UnitsCsvError([RowError(1, "empty")]) from None
    except csv.Error as exc:
        raise UnitsCsvError([RowError(1, "bad_csv", str(exc))]) from None
    if tuple(_clean(h).lower() for h in header) != CSV_HEADER:
        raise UnitsCsvError([RowError(1, "bad_header", ",".join(header))])
    rows: list[UnitRow] = []
    seen: dict[tuple[str, str], int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, "bad_csv", str(exc)))
            break
        line = reader.line_num
        if not any(_clean(v) for v in raw):
            continue  # blank lines are harmless
        if len(raw) != len(CSV_HEADER):
            errors.append(RowError(line, "wrong_columns", str(len(raw))))
            continue
        building, unit, floor_s, area_s = (_clean(v) for v in raw)
        row_errors = len(errors)
        if not building:
            errors.append(RowError(line, "missing_building"))
        elif len(building) > 60:
            errors.append(RowError(line, "building_too_long", building[:20]))
        if not unit:
            errors.append(RowError(line, "missing_unit"))
        elif len(unit) > 30:
            errors.append(RowError(line, "unit_too_long", unit[:20]))
        floor: int | None = None
        if floor_s:
            try:
                floor = int(floor_s)
            except ValueError:
                errors.append(RowError(line, "bad_floor", floor_s))
            else:
                if not -10 <= floor <= 300:
                    errors.append(RowError(line, "bad_floor", floor_s))
        area = Decimal("0")
        try:
            area = Decimal(area_s)
            if not area.is_finite() or area <= 0 or area > MAX_AREA:
                raise InvalidOperation
            if area != area.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(line, "bad_area", area_s))
        if len(errors) > row_errors:
            continue
        key = (building, unit)
        if key in seen:
            errors.append(RowError(line, "duplicate", str(seen[key])))
            continue
        seen[key] = line
        rows.append(UnitRow(line, building, unit, floor, area.quantize(Decimal("0.01"))))
    if errors:
        raise UnitsCsvError(errors)
    return rows


async def import_units(
    session: AsyncSession,
    community: Community,
    rows: list[UnitRow],
    *,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Create missing buildings and units, update floor/area that changed.

    Units missing from the file are left alone (they may have residents). The
    caller commits; nothing is written when it rolls back. ``progress`` is
    called with the number of rows just handled.
    """
    report = ImportReport(rows=len(rows))
    buildings = {
        name: bid
        for bid, name in (
            await session.execute(
                select(Building.id, Building.name).where(Building.community_id == community.id)
            )
        ).all()
    }
    new_buildings = sorted({r.building for r in rows} - buildings.keys())
    for chunk in _chunks(new_buildings, _BATCH):
        await session.execute(
            insert(Building), [{"community_id": community.id, "name": n} for n in chunk]
        )
    report.buildings_created = len(new_buildings)
    if new_buildings:
        buildings = {
            name: bid
            for bid, name in (
                await session.execute(
                    select(Building.id, Building.name).where(Building.community_id == community.id)
                )
            ).all()
        }
    existing: dict[tuple[int, str], tuple[int, int | None, Decimal]] = {
        (b, n): (uid, fl, area)
        for uid, b, n, fl, area in (
            await session.execute(
                select(Unit.id, Unit.building_id, Unit.number, Unit.floor, Unit.area_m2).where(
                    Unit.community_id == community.id
                )
            )
        ).all()
    }
    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    for row in rows:
        bid = buildings[row.building]
        current = existing.get((bid, row.unit))
        if current is None:
            to_insert.append(
                {
                    "community_id": community.id,
                    "building_id": bid,
                    "number": row.unit,
                    "floor": row.floor,
                    "area_m2": row.area_m2,
                }
            )
        elif current[1] != row.floor or Decimal(current[2]) != row.area_m2:
            to_update.append({"uid": current[0], "floor": row.floor, "area_m2": row.area_m2})
        else:
            report.units_unchanged += 1
    unchanged = report.units_unchanged
    if progress and unchanged:
        progress(unchanged)
    for chunk in _chunks(to_insert, _BATCH):
        await session.execute(insert(Unit), chunk)
        if progress:
            progress(len(chunk))
    for chunk in _chunks(to_update, _BATCH):
        for item in chunk:
            await session.execute(
                update(Unit)
                .where(Unit.id == item["uid"])
                .values(floor=item["floor"], area_m2=item["area_m2"])
            )
        if progress:
            progress(len(chunk))
    report.units_created = len(to_insert)
    report.units_updated = len(to_update)
    if report.changed:
        await record_audit(
            session,
            "community.units_imported",
            community_id=community.id,
            target_type="community",
            target_id=community.id,
            details={
                "rows": report.rows,
                "buildings_created": report.buildings_created,
                "units_created": report.units_created,
                "units_updated": report.units_updated,
            },
        )
    return report


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def count_units(session: AsyncSession, community_id: int) -> int:
    return int(
        await session.scalar(select(func.count(Unit.id)).where(Unit.community_id == community_id))
        or 0
    )


# --- staff --------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    staff_id: int
    person_id: int
    telegram_id: int | None
    full_name: str
    role: StaffRole


async def list_staff(session: AsyncSession, community_id: int) -> list[StaffMember]:
    rows = (
        await session.execute(
            select(Staff, Person)
            .join(Person, Person.id == Staff.person_id)
            .where(Staff.community_id == community_id, Staff.active.is_(True))
            .order_by(Staff.role, Person.full_name, Staff.id)
        )
    ).all()
    return [StaffMember(s.id, p.id, p.telegram_id, p.full_name, s.role) for s, p in rows]


async def _active_managers(session: AsyncSession, community_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(Staff.id)).where(
                Staff.community_id == community_id,
                Staff.active.is_(True),
                Staff.role == StaffRole.MANAGER,
            )
        )
        or 0
    )


async def add_staff(
    session: AsyncSession,
    community: Community,
    telegram_id: int,
    role: StaffRole,
    *,
    full_name: str = "",
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> tuple[Staff, bool]:
    """Make the person behind ``telegram_id`` staff with ``role``.

    Returns ``(staff, created)``; an existing (or removed) membership gets the
    new role and is reactivated.
    """
    if telegram_id <= 0:
        raise CommunityError("bad_telegram_id")
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, full_name=full_name[:120])
        session.add(person)
        await session.flush()
    elif full_name and not person.full_name:
        person.full_name = full_name[:120]
    staff = await session.scalar(
        select(Staff).where(Staff.person_id == person.id, Staff.community_id == community.id)
    )
    created = staff is None or not staff.active
    previous = None if staff is None or not staff.active else staff.role
    if staff is None:
        staff = Staff(person_id=person.id, community_id=community.id, role=role, active=True)
        session.add(staff)
    else:
        if staff.active and staff.role == StaffRole.MANAGER and role != StaffRole.MANAGER:
            await _ensure_other_manager(session, community.id)
        staff.role = role
        staff.active = True
    await session.flush()
    await record_audit(
        session,
        "staff.added" if created else "staff.role_changed",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="person",
        target_id=person.id,
        details={"role": role.value, "previous": previous.value if previous else None},
    )
    return staff, created


async def _ensure_other_manager(session: AsyncSession, community_id: int) -> None:
    if await _active_managers(session, community_id) <= 1:
        raise CommunityError("last_manager")


async def _active_staff(session: AsyncSession, community_id: int, staff_id: int) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.community_id != community_id or not staff.active:
        raise CommunityError("staff_not_found")
    return staff


async def change_staff_role(
    session: AsyncSession,
    community_id: int,
    staff_id: int,
    role: StaffRole,
    *,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Staff:
    staff = await _active_staff(session, community_id, staff_id)
    if staff.role == role:
        return staff
    if staff.role == StaffRole.MANAGER:
        await _ensure_other_manager(session, community_id)
    previous = staff.role
    staff.role = role
    await session.flush()
    await record_audit(
        session,
        "staff.role_changed",
        community_id=community_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="person",
        target_id=staff.person_id,
        details={"role": role.value, "previous": previous.value},
    )
    return staff


async def remove_staff(
    session: AsyncSession,
    community_id: int,
    staff_id: int,
    *,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> Staff:
    """Deactivate a membership (kept for the audit trail of what they did)."""
    staff = await _active_staff(session, community_id, staff_id)
    if staff.role == StaffRole.MANAGER:
        await _ensure_other_manager(session, community_id)
    staff.active = False
    await session.flush()
    await record_audit(
        session,
        "staff.removed",
        community_id=community_id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="person",
        target_id=staff.person_id,
        details={"role": staff.role.value},
    )
    return staff


# --- the admin group ----------------------------------------------------------------


async def bind_admin_group(
    session: AsyncSession,
    community: Community,
    chat_id: int,
    *,
    is_forum: bool,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> int | None:
    """Bind ``chat_id`` as the community's admin group; return the previous chat id.

    A chat serves one community only: each community keeps its own staff,
    residents' documents and alerts apart.
    """
    other = await session.scalar(
        select(Community).where(Community.admin_chat_id == chat_id, Community.id != community.id)
    )
    if other is not None:
        raise CommunityError("chat_bound_elsewhere", community=other.name)
    previous = community.admin_chat_id
    community.admin_chat_id = chat_id
    community.admin_chat_is_forum = is_forum
    await session.flush()
    await record_audit(
        session,
        "community.admin_group_bound",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="chat",
        target_id=chat_id,
        details={"previous": previous, "is_forum": is_forum},
    )
    return previous


async def migrate_admin_group(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group upgraded to a supergroup gets a new id; follow it."""
    result = await session.execute(
        update(Community)
        .where(Community.admin_chat_id == old_chat_id)
        .values(admin_chat_id=new_chat_id)
    )
    return bool(getattr(result, "rowcount", 0))
