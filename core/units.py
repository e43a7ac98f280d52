"""Units as people type them: the one parser of a unit label.

Staff and residents write a unit as building and number in many ways — ``3栋-1201``,
``3栋/1201``, ``3栋 1201``, ``3栋1201``, ``3-1201``, ``3/1201``, full-width
(``３栋／１２０１``) or with the room suffix (``1201室``). :func:`unit_label_readings`
turns the text into the (building, number) pairs it may mean, most likely first, and
:func:`find_unit_by_label` returns the community's unit for the first pair that names
one. Every command, CLI option and list that takes a typed unit calls these; the label
shown back is :attr:`core.models.Unit.label` (``3栋-1201``).
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.models import Building, Unit

# Tried in this order at every position, rightmost first (a building name may itself
# contain a dash or a space, a unit number does not).
_SEPARATORS = ("-", "/", " ")
# Dashes NFKC leaves alone, all read as "-".
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
# How Chinese building names end: "3栋", "3幢", "3号楼". Written without a separator
# ("3栋1201") the number starts right after the suffix; written without the suffix
# ("3-1201") the building may still be named "3栋".
BUILDING_SUFFIXES = ("栋", "幢", "号楼")
_ROOM_SUFFIX = "室"


def normalize_label(text: str) -> str:
    """Half-width characters, one kind of dash, single spaces, trimmed."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return " ".join(text.split())


def _split_points(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for sep in _SEPARATORS:
        idx = text.rfind(sep)
        while idx > 0:
            pairs.append((text[:idx], text[idx + 1 :]))
            idx = text.rfind(sep, 0, idx)
    for suffix in BUILDING_SUFFIXES:
        idx = text.rfind(suffix)
        while idx > 0:
            cut = idx + len(suffix)
            if cut < len(text):
                pairs.append((text[:cut], text[cut:]))
            idx = text.rfind(suffix, 0, idx)
    return pairs


def _building_names(building: str) -> list[str]:
    names = [building]
    for suffix in BUILDING_SUFFIXES:
        if building.endswith(suffix) and len(building) > len(suffix):
            names.append(building[: -len(suffix)].strip())
            break
    else:
        names.extend(building + suffix for suffix in BUILDING_SUFFIXES)
    return names


def _numbers(number: str) -> list[str]:
    if number.endswith(_ROOM_SUFFIX) and len(number) > len(_ROOM_SUFFIX):
        return [number, number[: -len(_ROOM_SUFFIX)].strip()]
    return [number]


def unit_label_readings(text: str) -> list[tuple[str, str]]:
    """Every (building name, unit number) the text may mean, most likely first:
    the building as written before the building as completed or shortened."""
    text = normalize_label(text)
    exact: list[tuple[str, str]] = []
    variants: list[tuple[str, str]] = []
    for raw_building, raw_number in _split_points(text):
        building = raw_building.strip(" -/")
        number = raw_number.strip(" -/")
        if not building or not number:
            continue
        names = _building_names(building)
        for i, name in enumerate(names):
            for j, num in enumerate(_numbers(number)):
                (exact if i == 0 and j == 0 else variants).append((name, num))
    return list(dict.fromkeys(exact + variants))


async def find_unit_by_label(session: AsyncSession, community_id: int, text: str) -> Unit | None:
    """The community's unit the text names (see the module doc), with its building
    loaded; None when no reading names one."""
    readings = unit_label_readings(text)
    if not readings:
        return None
    rows = (
        await session.scalars(
            select(Unit)
            .join(Building, Building.id == Unit.building_id)
            .where(
                Unit.community_id == community_id,
                Building.name.in_({b for b, _ in readings}),
                Unit.number.in_({n for _, n in readings}),
            )
            .options(selectinload(Unit.building))
        )
    ).all()
    found = {(unit.building.name, unit.number): unit for unit in rows}
    for reading in readings:
        if reading in found:
            return found[reading]
    return None
