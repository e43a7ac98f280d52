"""Plate decisions for ``bench/gate.py --credential plate``: the vehicle gates, the
residents' registered plates, and the baseline's indexed look-up of a plate.

Every request presents a different registered plate read with high confidence, so
every decision takes the plate's full path: the black/white list look-up, the
registration, the registrant's residency, the access-log row, the vehicle's visit
(close any open one, open a new one), the commit and the door release.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
BASELINE_SQL = (
    "SELECT person_id, unit_id FROM vehicles "
    "WHERE community_id = :c AND plate = :h AND status = 'active'"
)


def new_plates(count: int) -> list[str]:
    """``count`` distinct valid ordinary plates, in random order."""
    plates: set[str] = set()
    while len(plates) < count:
        plates.add(
            secrets.choice(PROVINCES) + secrets.choice(LETTERS) + f"{secrets.randbelow(10**5):05d}"
        )
    return sorted(plates, key=lambda _p: secrets.randbelow(1 << 30))


def add_vehicles(
    conn: Any, *, community_id: int, unit_id: int, person_id: int, count: int, now: datetime
) -> list[str]:
    """Register ``count`` approved plates of the resident; returns them."""
    from sqlalchemy import insert

    from access.vehicles.models import Vehicle

    plates = new_plates(count)
    rows = [
        {
            "community_id": community_id,
            "unit_id": unit_id,
            "person_id": person_id,
            "plate": plate,
            "vehicle_class": "small",
            "status": "active",
            "created_at": now,
            "decided_at": now,
        }
        for plate in plates
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(insert(Vehicle), rows[start : start + 5000])
    return plates
