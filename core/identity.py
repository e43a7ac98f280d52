"""Who is talking to the bot: an unknown person, a resident of some units, staff.

The bot's identity middleware resolves this once per update; handlers and
filters read it instead of querying again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import core_connection, upsert, utcnow
from core.models import (
    Building,
    Community,
    Person,
    Residency,
    ResidencyRole,
    ResidencyStatus,
    Staff,
    StaffRole,
    Unit,
)
from core.residency import MEMBER_STATUSES, is_active_on


@dataclass(frozen=True)
class UnitMembership:
    residency_id: int
    unit_id: int
    community_id: int
    unit_label: str
    role: ResidencyRole


@dataclass(frozen=True)
class StaffMembership:
    staff_id: int
    community_id: int
    role: StaffRole


@dataclass(frozen=True)
class Identity:
    person_id: int | None
    telegram_id: int
    locale: str | None = None
    full_name: str = ""
    username: str | None = None  # Telegram @username without the @, as last seen
    units: tuple[UnitMembership, ...] = ()
    pending_units: tuple[UnitMembership, ...] = ()
    staff: tuple[StaffMembership, ...] = field(default_factory=tuple)

    @property
    def is_known(self) -> bool:
        return self.person_id is not None

    @property
    def is_resident(self) -> bool:
        return bool(self.units)

    @property
    def is_staff(self) -> bool:
        return bool(self.staff)

    def community_ids(self) -> set[int]:
        return {u.community_id for u in self.units} | {s.community_id for s in self.staff}

    def staff_role_in(self, community_id: int) -> StaffRole | None:
        for s in self.staff:
            if s.community_id == community_id:
                return s.role
        return None

    def has_staff_role(self, community_id: int, *roles: StaffRole) -> bool:
        role = self.staff_role_in(community_id)
        return role is not None and (not roles or role in roles)

    def unit(self, unit_id: int) -> UnitMembership | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


# Built once: a statement object carries its own cache key, so executing the same
# object again skips rebuilding the expression and recomputing the key (this runs
# on most updates).
_PERSON_QUERY = select(Person.id, Person.full_name, Person.locale, Person.username).where(
    Person.telegram_id == bindparam("telegram_id")
)
_RESIDENCIES_QUERY = (
    select(
        Residency.id,
        Residency.unit_id,
        Residency.role,
        Residency.status,
        Residency.end_date,
        Unit.community_id,
        Building.name,
        Unit.number,
    )
    .join(Unit, Unit.id == Residency.unit_id)
    .join(Building, Building.id == Unit.building_id)
    .where(
        Residency.person_id == bindparam("person_id"),
        Residency.status.in_(MEMBER_STATUSES),
    )
    .order_by(Residency.id)
)
_STAFF_QUERY = select(Staff.id, Staff.community_id, Staff.role).where(
    Staff.person_id == bindparam("person_id"), Staff.active.is_(True)
)


async def load_identity(session: AsyncSession, telegram_id: int) -> Identity:
    """Resolve a Telegram user in at most three small column queries (this runs on
    every update it is not cached for, so it selects columns, not ORM objects, on
    the session's connection: same transaction, no ORM bookkeeping)."""
    connection = await core_connection(session)
    person = (await connection.execute(_PERSON_QUERY, {"telegram_id": telegram_id})).first()
    if person is None:
        return Identity(person_id=None, telegram_id=telegram_id)
    person_id, full_name, locale, username = person
    rows = (await connection.execute(_RESIDENCIES_QUERY, {"person_id": person_id})).all()
    active: list[UnitMembership] = []
    pending: list[UnitMembership] = []
    today = utcnow().date()
    for rid, unit_id, role, status, end_date, community_id, building, number in rows:
        m = UnitMembership(
            residency_id=rid,
            unit_id=unit_id,
            community_id=community_id,
            unit_label=f"{building}-{number}",
            role=role,
        )
        if is_active_on(status, end_date, today):
            active.append(m)
        elif status == ResidencyStatus.PENDING:
            pending.append(m)
    staff_rows = (await connection.execute(_STAFF_QUERY, {"person_id": person_id})).all()
    return Identity(
        person_id=person_id,
        telegram_id=telegram_id,
        locale=locale,
        full_name=full_name,
        username=username,
        units=tuple(active),
        pending_units=tuple(pending),
        staff=tuple(StaffMembership(sid, cid, role) for sid, cid, role in staff_rows),
    )


# Built once, and cacheable (see core.db.upsert): every new person's first message
# runs it.
_FIRST_CONTACT = upsert(
    Person.__table__,  # type: ignore[arg-type]
    insert=("telegram_id", "full_name", "username", "locale", "created_at", "updated_at"),
    conflict=("telegram_id",),
    returning=("id",),
)


async def register_first_contact(
    session: AsyncSession,
    telegram_id: int,
    *,
    full_name: str = "",
    username: str | None = None,
    locale: str | None = None,
) -> Identity | None:
    """Record a person on their first message, and commit at once.

    ``session`` is the update's own session, with nothing of its own to write yet
    (the sender was only looked up). Committing here means the update's transaction
    does not hold the database's write lock while its handler talks to Telegram (on
    SQLite there is one writer at a time), and the person stays recorded even if
    that handler fails; the session goes on in a new transaction. Returns the new
    identity, or None if the person already existed (then load it).
    """
    connection = await core_connection(session)
    now = utcnow()
    params = {
        "telegram_id": telegram_id,
        "full_name": full_name,
        "username": username,
        "locale": locale,
        "created_at": now,
        "updated_at": now,
    }
    person_id = (await connection.execute(_FIRST_CONTACT, params)).scalar()
    await session.commit()
    if person_id is None:
        return None
    return Identity(
        person_id=person_id,
        telegram_id=telegram_id,
        locale=locale,
        full_name=full_name,
        username=username,
    )


# Built once per column (see _PERSON_QUERY): set_locale runs on every /language.
_SET_PERSON = {
    column: update(Person)
    .where(Person.id == bindparam("person_id"))
    .values({column: bindparam("value"), "updated_at": bindparam("now")})
    for column in ("locale", "username")
}


async def set_locale(
    session: AsyncSession,
    identity: Identity,
    locale: str,
    cache: IdentityCache | None = None,
) -> Identity:
    """Change a known person's language; returns their identity speaking it.

    One Core statement. At commit the change counts as an identity change (cached
    identities of the person are dropped) and ``cache`` learns the new identity,
    so the person's next message needs no look-up; a rollback changes nothing.
    """
    return await _change_person(session, identity, cache, "locale", locale)


async def set_username(
    session: AsyncSession, identity: Identity, username: str | None, cache: IdentityCache | None
) -> Identity:
    """Remember a known person's new Telegram @username (None: they have none now),
    as :func:`set_locale` changes the language, so it is written once per change."""
    return await _change_person(session, identity, cache, "username", username)


async def _change_person(
    session: AsyncSession, identity: Identity, cache: IdentityCache | None, column: str, value: Any
) -> Identity:
    if identity.person_id is None:
        raise ValueError(f"only a known person has a {column} to change")
    connection = await core_connection(session)
    params = {"person_id": identity.person_id, "value": value, "now": utcnow()}
    await connection.execute(_SET_PERSON[column], params)
    refreshed = replace(identity, **{column: value})
    session.info.setdefault(_CHANGED, set()).add(identity.person_id)
    if cache is not None:
        session.info.setdefault(_FRESH, []).append((cache, refreshed))
    return refreshed


async def get_or_create_person(
    session: AsyncSession,
    telegram_id: int,
    *,
    full_name: str = "",
    locale: str | None = None,
) -> Person:
    """The person behind a Telegram account, created on first contact."""
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        person = Person(telegram_id=telegram_id, full_name=full_name, locale=locale)
        session.add(person)
        await session.flush()
    return person


async def community_by_admin_chat(session: AsyncSession, chat_id: int) -> Community | None:
    return await session.scalar(select(Community).where(Community.admin_chat_id == chat_id))


async def unit_label(session: AsyncSession, unit_id: int) -> str:
    row = (
        await session.execute(
            select(Building.name, Unit.number)
            .join(Unit, Unit.building_id == Building.id)
            .where(Unit.id == unit_id)
        )
    ).one()
    return f"{row[0]}-{row[1]}"


# --- A short-lived per-process cache for the identity middleware ------------------
#
# Resolving the sender costs three queries on every update. Most updates come from
# people whose roles did not change in the last seconds, so the middleware keeps
# identities for a few seconds. A commit in this process that adds, changes or
# deletes a Person, Residency or Staff row drops the cached identity of the person
# it concerns (a staff approval reaches the resident's next message at once); other
# processes see changes within the TTL. Security checks never rely on the cache:
# staff actions re-read the role (the staff gate, handlers.kit.staff_gate), and services check
# residencies in their own queries.

_seq = 0  # advances on every commit that changed someone's identity
_floor = 0  # entries loaded before this are stale (set when the change log is trimmed)
_changed_at: dict[int, int] = {}  # person id -> _seq of their last change
_CHANGE_LOG_MAX = 50_000


def _note_changes(person_ids: set[int]) -> None:
    global _seq, _floor
    _seq += 1
    if len(_changed_at) + len(person_ids) > _CHANGE_LOG_MAX:
        _changed_at.clear()
        _floor = _seq
    for person_id in person_ids:
        _changed_at[person_id] = _seq


def _still_valid(identity: Identity, loaded_at: int) -> bool:
    if loaded_at < _floor or identity.person_id is None:
        return False
    return _changed_at.get(identity.person_id, 0) <= loaded_at


class IdentityCache:
    def __init__(self, ttl_s: float = 10.0, max_entries: int = 100_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[int, tuple[Identity, float, int]] = {}

    async def load(self, session: AsyncSession, telegram_id: int) -> Identity:
        now = time.monotonic()
        hit = self._entries.get(telegram_id)
        if hit is not None and hit[1] > now and _still_valid(hit[0], hit[2]):
            return hit[0]
        loaded_at = _seq
        identity = await load_identity(session, telegram_id)
        self._keep(identity, now, loaded_at)
        return identity

    def peek(self, telegram_id: int) -> Identity | None:
        """The identity this process last knew for ``telegram_id``, without asking the
        database (None if it knows none, or the person changed since). It may be past
        its time to live: good enough to choose a language, never to check a right."""
        hit = self._entries.get(telegram_id)
        if hit is None or not _still_valid(hit[0], hit[2]):
            return None
        return hit[0]

    def remember(self, identity: Identity) -> None:
        """Keep an identity this process has just created (a first contact)."""
        self._keep(identity, time.monotonic(), _seq)

    def _keep(self, identity: Identity, now: float, loaded_at: int) -> None:
        if identity.is_known:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[identity.telegram_id] = (identity, now + self.ttl_s, loaded_at)

    def invalidate(self, telegram_id: int | None = None) -> None:
        if telegram_id is None:
            self._entries.clear()
        else:
            self._entries.pop(telegram_id, None)


def _install_invalidation() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    @event.listens_for(Session, "after_flush")
    def _note(session: Session, _ctx: object) -> None:
        changed: set[int] | None = None
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Person):
                person_id = obj.id
            elif isinstance(obj, Residency | Staff):
                person_id = obj.person_id
            else:
                continue
            if changed is None:
                changed = session.info.setdefault(_CHANGED, set())
            if person_id is not None:
                changed.add(person_id)

    @event.listens_for(Session, "after_commit")
    def _apply(session: Session) -> None:
        changed = session.info.pop(_CHANGED, None)
        if changed:
            _note_changes(changed)
        for cache, identity in session.info.pop(_FRESH, ()):
            cache.remember(identity)  # after the change was noted: valid from now

    @event.listens_for(Session, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_FRESH, None)


_CHANGED = "identity_changed"  # person ids whose identity this transaction changed
_FRESH = "identity_fresh"  # (cache, identity) to keep once the transaction commits


_install_invalidation()
