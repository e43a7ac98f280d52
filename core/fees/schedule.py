"""The fee schedule of a community: what is charged, to which units, when.

Public API:

- :func:`add_fee_item` — a new item (validated; audited by the caller's action name).
- :func:`retire_fee_item` — stop charging an item from the next generated bills.
- :func:`list_fee_items` — active (or all) items with their targets.
- :func:`resolve_buildings` / :func:`resolve_units` — staff write ``1栋`` or
  ``1栋-301`` (optionally ``×2`` for two parking spaces); these turn the text into ids.
  A unit is read by the one unit-label parser, :func:`core.units.find_unit_by_label`
  (re-exported here as ``find_unit`` for older callers).

An item is never edited: to change a rate, retire the item and add a new one, so
bills already issued keep the terms they were computed with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.audit import record_audit
from core.db import utcnow
from core.fees.common import FeeError
from core.fees.models import FeeItem, FeeItemTarget, FeeKind, FeeScope
from core.models import Building, Community, Unit
from core.units import find_unit_by_label

# Older callers import the unit lookup from here; it is the one parser in core.units.
find_unit = find_unit_by_label

MAX_NAME = 80
# Every month has these days, so a due day is the same day in every period.
FIRST_DUE_DAY, LAST_DUE_DAY = 1, 28


@dataclass(frozen=True)
class Target:
    building_id: int | None = None
    unit_id: int | None = None
    quantity: int = 1


async def add_fee_item(
    session: AsyncSession,
    community: Community,
    *,
    name: str,
    kind: FeeKind,
    amount_minor: int,
    scope: FeeScope = FeeScope.ALL,
    targets: list[Target] | None = None,
    period_months: int = 1,
    due_day: int = 15,
    late_fee_minor: int | None = None,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> FeeItem:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise FeeError("bad_name")
    if amount_minor <= 0:
        raise FeeError("bad_amount")
    if period_months not in (1, 2, 3, 4, 6, 12):
        raise FeeError("bad_period_months")
    if not FIRST_DUE_DAY <= due_day <= LAST_DUE_DAY:
        raise FeeError("bad_due_day")
    if late_fee_minor is not None and late_fee_minor <= 0:
        late_fee_minor = None
    targets = list(targets or [])
    if scope == FeeScope.ALL:
        targets = []
    elif not targets:
        raise FeeError("no_targets")
    if scope == FeeScope.BUILDINGS and any(t.building_id is None for t in targets):
        raise FeeError("no_targets")
    if scope == FeeScope.UNITS and any(t.unit_id is None for t in targets):
        raise FeeError("no_targets")
    if any(t.quantity < 1 or t.quantity > 99 for t in targets):
        raise FeeError("bad_quantity")
    item = FeeItem(
        community_id=community.id,
        name=name,
        kind=kind,
        amount_minor=amount_minor,
        scope=scope,
        period_months=period_months,
        due_day=due_day,
        late_fee_minor=late_fee_minor,
        active=True,
        created_at=utcnow(),
        created_by_person_id=actor_person_id,
    )
    item.targets = [
        FeeItemTarget(building_id=t.building_id, unit_id=t.unit_id, quantity=t.quantity)
        for t in targets
    ]
    session.add(item)
    await session.flush()
    await record_audit(
        session,
        "fees.item_add",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="fee_item",
        target_id=item.id,
        details={
            "name": name,
            "kind": kind.value,
            "amount_minor": amount_minor,
            "scope": scope.value,
            "targets": len(targets),
            "period_months": period_months,
            "due_day": due_day,
            "late_fee_minor": late_fee_minor,
        },
    )
    return item


async def retire_fee_item(
    session: AsyncSession,
    community: Community,
    item_id: int,
    *,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> FeeItem:
    item = await session.get(FeeItem, item_id)
    if item is None or item.community_id != community.id:
        raise FeeError("no_such_item", item_id=item_id)
    if not item.active:
        raise FeeError("item_retired", item_id=item_id)
    item.active = False
    item.retired_at = utcnow()
    await record_audit(
        session,
        "fees.item_retire",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="fee_item",
        target_id=item.id,
        details={"name": item.name},
    )
    return item


async def list_fee_items(
    session: AsyncSession, community_id: int, *, include_retired: bool = False
) -> list[FeeItem]:
    query = (
        select(FeeItem)
        .where(FeeItem.community_id == community_id)
        .options(selectinload(FeeItem.targets))
        .order_by(FeeItem.id)
    )
    if not include_retired:
        query = query.where(FeeItem.active.is_(True))
    return list((await session.scalars(query)).all())


async def target_labels(session: AsyncSession, item: FeeItem) -> list[str]:
    """Human labels of an item's targets (``1栋``, ``2栋-301 ×2``)."""
    labels: list[str] = []
    building_ids = [t.building_id for t in item.targets if t.building_id]
    unit_ids = [t.unit_id for t in item.targets if t.unit_id]
    names: dict[int, str] = {}
    if building_ids:
        rows = await session.execute(
            select(Building.id, Building.name).where(Building.id.in_(building_ids))
        )
        names.update({r[0]: r[1] for r in rows})
    units: dict[int, str] = {}
    if unit_ids:
        rows = await session.execute(
            select(Unit.id, Building.name, Unit.number)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.id.in_(unit_ids))
        )
        units.update({r[0]: f"{r[1]}-{r[2]}" for r in rows})
    for t in item.targets:
        if t.building_id:
            labels.append(names.get(t.building_id, "?"))
        elif t.unit_id:
            label = units.get(t.unit_id, "?")
            labels.append(f"{label} ×{t.quantity}" if t.quantity != 1 else label)
    return labels


_SPLIT = re.compile(r"[,，;；、\s]+")
_QTY = re.compile(r"^(?P<label>.+?)(?:[x×*](?P<qty>\d{1,2}))?$")


def split_list(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text.strip()) if part]


async def resolve_buildings(session: AsyncSession, community_id: int, text: str) -> list[Target]:
    names = split_list(text)
    if not names:
        raise FeeError("no_targets")
    rows = await session.execute(
        select(Building.id, Building.name).where(Building.community_id == community_id)
    )
    by_name = {r[1]: r[0] for r in rows}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise FeeError("unknown_buildings", names=unknown)
    return [Target(building_id=by_name[n]) for n in dict.fromkeys(names)]


async def resolve_units(session: AsyncSession, community_id: int, text: str) -> list[Target]:
    parts = split_list(text)
    if not parts:
        raise FeeError("no_targets")
    targets: dict[int, Target] = {}
    unknown: list[str] = []
    for part in parts:
        match = _QTY.match(part)
        if match is None:
            unknown.append(part)
            continue
        unit = await find_unit_by_label(session, community_id, match.group("label"))
        if unit is None:
            unknown.append(part)
            continue
        qty = int(match.group("qty") or 1)
        targets[unit.id] = Target(unit_id=unit.id, quantity=qty)
    if unknown:
        raise FeeError("unknown_units", names=unknown)
    return list(targets.values())
