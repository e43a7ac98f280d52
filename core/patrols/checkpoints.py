"""Checkpoints: creating them, and a staff member's visit recorded from a scanned link.

Opening a link (:func:`open_checkpoint`) checks, in this order: the payload's
shape and signature (forged or voided by a reissued sheet: ``invalid``), the
checkpoint still in use (``retired``), and the scanner being active staff of the
checkpoint's community allowed ``patrols.visit`` (``other_community`` when they
are staff elsewhere, else ``not_staff``). Every refusal is audited and nothing is
recorded. :func:`record_visit` checks again (the steps between may take minutes)
and writes the visit with the distance from the checkpoint's coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.models import Community, Staff
from core.patrols.models import Checkpoint, CheckpointKind, CheckpointVisit
from core.patrols.tokens import new_salt, parse_payload, signature_matches
from core.permissions import active_staff_role, may

EARTH_RADIUS_M = 6_371_000.0


class PatrolError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Coordinates:
    latitude: float
    longitude: float


def parse_coordinates(text: str) -> Coordinates | None:
    """``"31.2304, 121.4737"`` → Coordinates; None when it is not a valid pair."""
    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Coordinates(lat, lon)


def distance_m(a: Coordinates, b: Coordinates) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


async def create_checkpoint(
    session: AsyncSession,
    community: Community,
    *,
    name: str,
    place: str,
    coordinates: Coordinates | None,
    photo_required: bool,
    actor_person_id: int | None,
    kind: CheckpointKind = CheckpointKind.PATROL,
) -> Checkpoint:
    taken = await session.scalar(
        select(Checkpoint.id).where(
            Checkpoint.community_id == community.id, func.lower(Checkpoint.name) == name.lower()
        )
    )
    if taken is not None:
        raise PatrolError("name_taken")
    row = Checkpoint(
        community_id=community.id,
        kind=kind,
        name=name,
        place=place,
        latitude=coordinates.latitude if coordinates else None,
        longitude=coordinates.longitude if coordinates else None,
        photo_required=photo_required,
        salt=new_salt(),
        created_by_person_id=actor_person_id,
    )
    session.add(row)
    await session.flush()
    await record_audit(
        session,
        "patrols.manage",
        community_id=community.id,
        actor_person_id=actor_person_id,
        target_type="checkpoint",
        target_id=row.id,
        details={"name": name, "kind": kind.value, "photo_required": photo_required},
    )
    return row


async def community_checkpoints(
    session: AsyncSession, community_id: int, kind: CheckpointKind | None = None
) -> list[Checkpoint]:
    query = select(Checkpoint).where(
        Checkpoint.community_id == community_id, Checkpoint.active.is_(True)
    )
    if kind is not None:
        query = query.where(Checkpoint.kind == kind)
    return list((await session.scalars(query.order_by(Checkpoint.id))).all())


async def reissue_links(
    session: AsyncSession, community_id: int, actor_person_id: int | None
) -> list[Checkpoint]:
    """New salts for every checkpoint of the community: the old sheets stop working."""
    rows = await community_checkpoints(session, community_id)
    for row in rows:
        row.salt = new_salt()
    await record_audit(
        session,
        "patrols.manage",
        community_id=community_id,
        actor_person_id=actor_person_id,
        target_type="checkpoint_sheet",
        details={"reissued": len(rows)},
    )
    return rows


async def _refuse(
    session: AsyncSession,
    code: str,
    *,
    person_id: int | None,
    telegram_id: int | None,
    checkpoint: Checkpoint | None,
) -> PatrolError:
    await record_audit(
        session,
        "patrols.visit",
        allowed=False,
        community_id=checkpoint.community_id if checkpoint else None,
        actor_person_id=person_id,
        actor_telegram_id=telegram_id,
        target_type="checkpoint",
        target_id=checkpoint.id if checkpoint else None,
        details={"reason": code},
    )
    return PatrolError(code)


async def _check_scanner(
    session: AsyncSession, checkpoint: Checkpoint, person_id: int | None, telegram_id: int | None
) -> None:
    if not checkpoint.active:
        raise await _refuse(
            session, "retired", person_id=person_id, telegram_id=telegram_id, checkpoint=checkpoint
        )
    role = None
    if person_id is not None:
        role = await active_staff_role(session, person_id, checkpoint.community_id)
    if may(role, "patrols.visit"):
        return
    elsewhere = person_id is not None and await session.scalar(
        select(Staff.id).where(Staff.person_id == person_id, Staff.active.is_(True)).limit(1)
    )
    code = "other_community" if elsewhere else "not_staff"
    raise await _refuse(
        session, code, person_id=person_id, telegram_id=telegram_id, checkpoint=checkpoint
    )


async def open_checkpoint(
    session: AsyncSession,
    *,
    secret_key: str,
    payload: str,
    person_id: int | None,
    telegram_id: int | None,
) -> Checkpoint:
    """The checkpoint a scanned link names, when the scanner may record a visit."""
    parsed = parse_payload(payload)
    checkpoint = await session.get(Checkpoint, parsed[0]) if parsed else None
    if (
        parsed is None
        or checkpoint is None
        or not signature_matches(secret_key, checkpoint.id, checkpoint.salt, parsed[1])
    ):
        raise await _refuse(
            session,
            "invalid",
            person_id=person_id,
            telegram_id=telegram_id,
            checkpoint=checkpoint if parsed else None,
        )
    await _check_scanner(session, checkpoint, person_id, telegram_id)
    return checkpoint


async def record_visit(
    session: AsyncSession,
    *,
    checkpoint_id: int,
    salt: str,
    person_id: int,
    telegram_id: int | None,
    now: datetime,
    location: Coordinates | None = None,
    photo_file_id: str | None = None,
) -> CheckpointVisit:
    """Write the visit (the caller's transaction). ``salt`` is the one the link was
    checked against: a sheet reissued in between voids the visit."""
    checkpoint = await session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.salt != salt:
        raise await _refuse(
            session, "invalid", person_id=person_id, telegram_id=telegram_id, checkpoint=checkpoint
        )
    await _check_scanner(session, checkpoint, person_id, telegram_id)
    if checkpoint.has_location and location is None:
        raise PatrolError("location_needed")
    if checkpoint.photo_required and photo_file_id is None:
        raise PatrolError("photo_needed")
    distance = None
    if checkpoint.has_location and location is not None:
        assert checkpoint.latitude is not None and checkpoint.longitude is not None
        distance = distance_m(Coordinates(checkpoint.latitude, checkpoint.longitude), location)
    visit = CheckpointVisit(
        community_id=checkpoint.community_id,
        checkpoint_id=checkpoint.id,
        person_id=person_id,
        visited_at=now,
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        distance_m=distance,
        photo_file_id=photo_file_id,
    )
    session.add(visit)
    await session.flush()
    return visit
