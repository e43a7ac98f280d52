"""The ``building,unit,floor,area_m2`` unit list: all rows are validated first and
every error is reported with its line number; then everything is written in the
caller's one transaction, so a malformed file changes nothing and re-importing the
same file changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.communities.community import CommunityError
from core.models import Building, Community, Unit

CSV_HEADER = ("building", "unit", "floor", "area_m2")
MAX_AREA = Decimal("99999999.99")
# Rows per INSERT … VALUES batch: large enough to be fast, small enough for
# SQLite's bound-parameter limit (6 columns × 500).
_BATCH = 500

ProgressCallback = Callable[[int], None]


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
