"""Passes for couriers and daily help (decision 0031).

- A **delivery pass**: a courier's code, valid from now for 30 minutes to 4 hours,
  single-use or reusable inside that window; its host is told at each entry like any
  pass's host (:meth:`access.notify.AccessNotifier.pass_used`).
- A **daily-help pass** (nanny, cleaner, driver): one code shared by several
  households, on set weekdays and daily hours in the community's time zone (the
  worker pass's rule, :func:`access.resolvers.within_daily_hours`). Each household is
  a :class:`~access.models.PassHousehold`; the pass admits while one of them keeps it
  (joined, not suspended, its resident still living there). A household joins through
  a single-use invitation key another household shares (``t.me/<bot>?start=h_<key>``).

Functions write in the caller's transaction and raise :class:`PassError`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from access.credentials import keyed_hash
from access.models import Pass, PassHousehold, PassKind, PassStatus
from access.passes.issuing import (
    IssuedPass,
    check_gates,
    clean_text,
    host_unit,
    insert_active_pass,
)
from access.passes.rules import (
    ALL_WEEKDAYS,
    DAILY_HELP_SPAN,
    HOUSEHOLD_INVITE_TTL,
    NAME_MAX_LEN,
    PassError,
    check_delivery_window,
    check_worker_hours,
)
from core.models import Building, Person, Residency, Unit
from core.residency import active_residency_clause

#: What a daily-help pass is for (kept in ``Pass.purpose``).
HELP_ROLES = ("nanny", "cleaner", "driver")
HOUSEHOLD_PREFIX = "h_"
_INVITE_BYTES = 16


async def issue_delivery_pass(
    session: AsyncSession,
    *,
    secret_key: str,
    now: datetime,
    host_person_id: int,
    host_unit_id: int,
    length: timedelta,
    reusable: bool,
    courier: str = "",
) -> IssuedPass:
    """A courier's code from now for ``length``, at every gate of the community."""
    unit = await host_unit(session, host_person_id, host_unit_id)
    check_delivery_window(length)
    await check_gates(session, unit.community_id, [])
    row = Pass(
        community_id=unit.community_id,
        kind=PassKind.DELIVERY,
        status=PassStatus.ACTIVE,
        host_person_id=host_person_id,
        host_unit_id=unit.id,
        holder_name=clean_text(courier, NAME_MAX_LEN),
        purpose="delivery",
        valid_from=now,
        valid_until=now + length,
        max_uses=None if reusable else 1,
        uses_count=0,
        gate_ids=[],
        created_at=now,
    )
    return await insert_active_pass(session, secret_key, row)


async def issue_daily_help_pass(
    session: AsyncSession,
    *,
    secret_key: str,
    now: datetime,
    host_person_id: int,
    host_unit_id: int,
    role: str,
    name: str,
    daily_start_min: int,
    daily_end_min: int,
    weekdays: int,
    gate_ids: list[int],
) -> IssuedPass:
    """The pass, with its first household (the resident making it) already joined."""
    unit = await host_unit(session, host_person_id, host_unit_id)
    if role not in HELP_ROLES:
        raise PassError("bad_role")
    name = clean_text(name, NAME_MAX_LEN)
    if not name:
        raise PassError("no_name")
    check_worker_hours(daily_start_min, daily_end_min)
    if not 0 < weekdays <= ALL_WEEKDAYS:
        raise PassError("bad_weekday")
    chosen = await check_gates(session, unit.community_id, gate_ids)
    row = Pass(
        community_id=unit.community_id,
        kind=PassKind.DAILY_HELP,
        status=PassStatus.ACTIVE,
        host_person_id=host_person_id,
        host_unit_id=unit.id,
        holder_name=name,
        purpose=role,
        valid_from=now,
        valid_until=now + DAILY_HELP_SPAN,
        max_uses=None,
        uses_count=0,
        gate_ids=chosen,
        daily_start_min=daily_start_min,
        daily_end_min=daily_end_min,
        weekdays=weekdays,
        created_at=now,
    )
    issued = await insert_active_pass(session, secret_key, row)
    session.add(
        PassHousehold(
            pass_id=row.id, person_id=host_person_id, unit_id=unit.id, joined_at=now, created_at=now
        )
    )
    await session.flush()
    return issued


def _residing(today: date) -> object:
    return and_(
        Residency.person_id == PassHousehold.person_id,
        Residency.unit_id == PassHousehold.unit_id,
        active_residency_clause(today),
    )


@dataclass(frozen=True)
class Household:
    """A household's view of a daily-help pass it joined."""

    pass_: Pass
    link: PassHousehold
    unit_label: str


async def my_households(session: AsyncSession, person_id: int, today: date) -> list[Household]:
    """The daily-help passes this resident joined for a home they still live in."""
    rows = (
        await session.execute(
            select(Pass, PassHousehold, Building.name, Unit.number)
            .join(PassHousehold, PassHousehold.pass_id == Pass.id)
            .join(Residency, _residing(today))  # type: ignore[arg-type]
            .join(Unit, Unit.id == PassHousehold.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(
                PassHousehold.person_id == person_id,
                Pass.kind == PassKind.DAILY_HELP,
                Pass.status == PassStatus.ACTIVE,
            )
            .order_by(Pass.id)
        )
    ).all()
    return [Household(p, link, f"{b}-{n}") for p, link, b, n in rows]


async def household_link(
    session: AsyncSession, person_id: int, pass_id: int, today: date
) -> Household:
    for found in await my_households(session, person_id, today):
        if found.pass_.id == pass_id:
            return found
    raise PassError("not_found")


async def set_suspended(
    session: AsyncSession,
    *,
    person_id: int,
    pass_id: int,
    suspended: bool,
    now: datetime,
    today: date,
) -> Household:
    """Suspend (or resume) the pass for this resident's household only; at once."""
    found = await household_link(session, person_id, pass_id, today)
    result = await session.execute(
        update(PassHousehold)
        .where(
            PassHousehold.id == found.link.id,
            PassHousehold.suspended_at.is_(None)
            if suspended
            else PassHousehold.suspended_at.is_not(None),
        )
        .values(suspended_at=now if suspended else None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PassError("already_suspended" if suspended else "not_suspended")
    await session.refresh(found.link)
    return found


def hash_invite(secret_key: str, key: str) -> str:
    return keyed_hash(secret_key, "household", key)


async def invite_household(
    session: AsyncSession,
    *,
    secret_key: str,
    person_id: int,
    pass_id: int,
    now: datetime,
    today: date,
) -> str:
    """A single-use invitation key for another household (shown once, stored hashed)."""
    found = await household_link(session, person_id, pass_id, today)
    key = secrets.token_urlsafe(_INVITE_BYTES)
    session.add(
        PassHousehold(
            pass_id=found.pass_.id,
            invite_hash=hash_invite(secret_key, key),
            invite_expires_at=now + HOUSEHOLD_INVITE_TTL,
            invited_by_person_id=person_id,
            created_at=now,
        )
    )
    await session.flush()
    return key


async def invitation(
    session: AsyncSession, *, secret_key: str, key: str, now: datetime
) -> tuple[PassHousehold, Pass]:
    """The open invitation behind a key, with its pass; ``invite_unknown`` otherwise."""
    if not 16 <= len(key) <= 60 or not key.replace("-", "").replace("_", "").isalnum():
        raise PassError("invite_unknown")
    link = await session.scalar(
        select(PassHousehold).where(PassHousehold.invite_hash == hash_invite(secret_key, key))
    )
    if link is None or link.person_id is not None:
        raise PassError("invite_unknown")
    row = await session.get(Pass, link.pass_id)
    if row is None or row.status != PassStatus.ACTIVE or row.valid_until <= now:
        raise PassError("invite_unknown")
    if link.invite_expires_at is None or link.invite_expires_at <= now:
        raise PassError("invite_expired")
    return link, row


async def join_household(
    session: AsyncSession,
    *,
    secret_key: str,
    key: str,
    person_id: int,
    unit_id: int,
    now: datetime,
) -> tuple[Pass, int | None]:
    """The invitation claimed for this resident's home: once, however many press Join.
    The pass and who invited them."""
    link, row = await invitation(session, secret_key=secret_key, key=key, now=now)
    unit = await host_unit(session, person_id, unit_id)
    if unit.community_id != row.community_id:
        raise PassError("other_community")
    already = await session.scalar(
        select(PassHousehold.id).where(
            PassHousehold.pass_id == row.id,
            PassHousehold.unit_id == unit.id,
            PassHousehold.person_id == person_id,
        )
    )
    if already is not None:
        raise PassError("already_joined")
    try:
        async with session.begin_nested():
            result = await session.execute(
                update(PassHousehold)
                .where(PassHousehold.id == link.id, PassHousehold.person_id.is_(None))
                .values(person_id=person_id, unit_id=unit.id, joined_at=now, invite_hash=None)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        raise PassError("already_joined") from None
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PassError("invite_unknown")
    return row, link.invited_by_person_id


async def households_to_tell(session: AsyncSession, pass_id: int, today: date) -> list[Person]:
    """The residents of the households a daily-help pass serves now (not suspended)."""
    return list(
        (
            await session.scalars(
                select(Person)
                .join(PassHousehold, PassHousehold.person_id == Person.id)
                .join(Residency, _residing(today))  # type: ignore[arg-type]
                .where(PassHousehold.pass_id == pass_id, PassHousehold.suspended_at.is_(None))
                .distinct()
            )
        ).all()
    )
