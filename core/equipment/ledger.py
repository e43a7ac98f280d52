"""The equipment ledger: the CSV import, adding and retiring items.

The CSV (header ``name,kind,place,building,installed_on,vendor,responsible_role``)
is validated whole first and every bad line is reported with its number; then
everything is written in the caller's one transaction, so a bad file changes
nothing and importing the same file again changes nothing (items are matched by
name; a changed row updates its item).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.equipment.models import Equipment
from core.models import Community, StaffRole

CSV_HEADER = ("name", "kind", "place", "building", "installed_on", "vendor", "responsible_role")
ROLE_WORDS = {
    "manager": StaffRole.MANAGER,
    "经理": StaffRole.MANAGER,
    "technician": StaffRole.TECHNICIAN,
    "维修": StaffRole.TECHNICIAN,
    "技术员": StaffRole.TECHNICIAN,
    "guard": StaffRole.GUARD,
    "保安": StaffRole.GUARD,
    "accountant": StaffRole.ACCOUNTANT,
    "会计": StaffRole.ACCOUNTANT,
}
LIMITS = {"name": 80, "kind": 40, "place": 160, "building": 60, "vendor": 120}


class EquipmentError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RowError:
    line: int
    code: str  # bad_header, wrong_columns, missing_name, too_long, bad_date, bad_role, duplicate
    detail: str = ""


class EquipmentCsvError(EquipmentError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("invalid_csv")
        self.errors = errors


@dataclass(frozen=True)
class EquipmentRow:
    line: int
    name: str
    kind: str
    place: str
    building: str
    installed_on: date | None
    vendor: str
    responsible_role: StaffRole


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    names: list[str] = field(default_factory=list)


def _clean(value: str | None) -> str:
    return (value or "").replace("\u00a0", " ").replace("\u3000", " ").strip()


def _row(line: int, raw: list[str], errors: list[RowError]) -> EquipmentRow | None:
    values = dict(zip(CSV_HEADER, (_clean(v) for v in raw), strict=True))
    before = len(errors)
    for column in ("name", "kind"):
        if not values[column]:
            errors.append(RowError(line, f"missing_{column}"))
    for column, limit in LIMITS.items():
        if len(values[column]) > limit:
            errors.append(RowError(line, "too_long", column))
    installed = None
    if values["installed_on"]:
        try:
            installed = date.fromisoformat(values["installed_on"].replace("/", "-"))
        except ValueError:
            errors.append(RowError(line, "bad_date", values["installed_on"]))
    role = StaffRole.TECHNICIAN
    if values["responsible_role"]:
        found = ROLE_WORDS.get(values["responsible_role"].lower())
        if found is None:
            errors.append(RowError(line, "bad_role", values["responsible_role"]))
        else:
            role = found
    if len(errors) > before:
        return None
    return EquipmentRow(
        line,
        values["name"],
        values["kind"].lower(),
        values["place"],
        values["building"],
        installed,
        values["vendor"],
        role,
    )


def parse_equipment_csv(data: bytes | str) -> list[EquipmentRow]:
    """Validate the whole file; raise :class:`EquipmentCsvError` listing every bad line."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise EquipmentCsvError(
                [RowError(data[: exc.start].count(b"\n") + 1, "not_utf8")]
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise EquipmentCsvError([RowError(1, "bad_header")]) from None
    if tuple(_clean(h).lower() for h in header) != CSV_HEADER:
        raise EquipmentCsvError([RowError(1, "bad_header", ",".join(header))])
    rows: list[EquipmentRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if not any(_clean(v) for v in raw):
                continue
            if len(raw) != len(CSV_HEADER):
                errors.append(RowError(line, "wrong_columns", str(len(raw))))
                continue
            row = _row(line, raw, errors)
            if row is None:
                continue
            key = row.name.lower()
            if key in seen:
                errors.append(RowError(line, "duplicate", str(seen[key])))
                continue
            seen[key] = line
            rows.append(row)
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, "bad_csv", str(exc)))
    if errors:
        raise EquipmentCsvError(errors)
    return rows


_FIELDS = ("kind", "place", "building", "installed_on", "vendor", "responsible_role")


async def import_equipment(
    session: AsyncSession,
    community: Community,
    rows: list[EquipmentRow],
    actor_person_id: int | None = None,
) -> ImportReport:
    """Create new items, update changed ones (the caller's transaction)."""
    report = ImportReport()
    existing = {
        item.name.lower(): item
        for item in (
            await session.scalars(select(Equipment).where(Equipment.community_id == community.id))
        ).all()
    }
    for row in rows:
        item = existing.get(row.name.lower())
        if item is None:
            session.add(Equipment(community_id=community.id, name=row.name, **_values(row)))
            report.created += 1
            report.names.append(row.name)
            continue
        values = _values(row)
        if all(getattr(item, k) == v for k, v in values.items()):
            report.unchanged += 1
            continue
        for key, value in values.items():
            setattr(item, key, value)
        report.updated += 1
    await session.flush()
    if report.created or report.updated:
        await record_audit(
            session,
            "equipment.manage",
            community_id=community.id,
            actor_person_id=actor_person_id,
            target_type="equipment_import",
            details={"created": report.created, "updated": report.updated},
        )
    return report


def _values(row: EquipmentRow) -> dict[str, object]:
    return {key: getattr(row, key) for key in _FIELDS}


async def add_item(
    session: AsyncSession,
    community: Community,
    *,
    name: str,
    kind: str,
    place: str,
    actor_person_id: int | None,
) -> Equipment:
    taken = await session.scalar(
        select(Equipment.id).where(
            Equipment.community_id == community.id, func.lower(Equipment.name) == name.lower()
        )
    )
    if taken is not None:
        raise EquipmentError("name_taken")
    item = Equipment(community_id=community.id, name=name, kind=kind.lower(), place=place)
    session.add(item)
    await session.flush()
    await record_audit(
        session,
        "equipment.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="equipment",
        target_id=item.id,
        details={"added": name, "kind": item.kind},
    )
    return item


async def retire_item(
    session: AsyncSession,
    community: Community,
    item_id: int,
    *,
    now: datetime,
    actor_person_id: int | None,
) -> Equipment:
    item = await session.get(Equipment, item_id)
    if item is None or item.community_id != community.id:
        raise EquipmentError("unknown_item")
    if not item.active:
        raise EquipmentError("already_retired")
    item.active = False
    item.retired_at = now
    await record_audit(
        session,
        "equipment.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="equipment",
        target_id=item.id,
        details={"retired": item.name},
    )
    return item


async def community_items(session: AsyncSession, community_id: int) -> list[Equipment]:
    return list(
        (
            await session.scalars(
                select(Equipment)
                .where(Equipment.community_id == community_id, Equipment.active.is_(True))
                .order_by(Equipment.id)
            )
        ).all()
    )
