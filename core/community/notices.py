"""Notices: writing one (its audience resolved into delivery rows), what a resident
has received, "got it", and the delivery figures staff see.

Limits are Telegram's: a message holds 4096 characters, a photo's or document's
caption 1024. The notice's frame (its heading, the outage window) takes part of
that, so the body's limits here leave room for it; a longer body is refused with
the limit named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.community.models import (
    Audience,
    DeliveryStatus,
    Notice,
    NoticeDelivery,
    NoticeKind,
    NoticeStatus,
    Phase,
)
from core.community.times import ON_THE_LIST
from core.models import Building, Person, Residency, ResidencyRole, Unit
from core.residency import active_residency_clause

TITLE_MAX = 100
BODY_MAX = 3500  # of a 4096-character message
CAPTION_BODY_MAX = 800  # of a 1024-character caption
# A notice stays on the resident's list this long (an outage: until it ends).
CURRENT_FOR = ON_THE_LIST


class NoticeError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class NoticeDraft:
    kind: NoticeKind
    audience: Audience
    title: str
    body: str
    building_ids: list[int] = field(default_factory=list)
    attachment_kind: str | None = None  # "photo" or "document"
    attachment_file_id: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    extended: bool = False  # an outage's extension (the notice's extends_id)
    unit_ids: list[int] = field(default_factory=list)  # audience UNITS
    # The same words in a second language (core.community.languages).
    alt_locale: str | None = None
    alt_title: str | None = None
    alt_body: str | None = None


def body_limit(has_attachment: bool) -> int:
    return CAPTION_BODY_MAX if has_attachment else BODY_MAX


async def buildings_by_name(session: AsyncSession, community_id: int) -> dict[str, Building]:
    rows = await session.scalars(select(Building).where(Building.community_id == community_id))
    return {b.name: b for b in rows}


async def audience_rows(
    session: AsyncSession,
    community_id: int,
    draft: NoticeDraft,
    today: date,
    person_id: int | None = None,
) -> dict[int, int]:
    """person id -> the building they are counted under (their first unit's); with
    ``person_id``, only that person (whether they are in the audience)."""
    query = (
        select(Residency.person_id, Unit.building_id)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(Unit.community_id == community_id, active_residency_clause(today))
        .order_by(Residency.person_id, Unit.building_id, Unit.id)
    )
    if draft.building_ids:
        query = query.where(Unit.building_id.in_(draft.building_ids))
    if draft.audience == Audience.UNITS:
        query = query.where(Unit.id.in_(draft.unit_ids or [-1]))
    if person_id is not None:
        query = query.where(Residency.person_id == person_id)
    if draft.audience == Audience.OWNERS:
        query = query.where(Residency.role == ResidencyRole.OWNER)
    elif draft.audience == Audience.TENANTS:
        query = query.where(Residency.role == ResidencyRole.TENANT)
    people: dict[int, int] = {}
    for person_id, building_id in (await session.execute(query)).all():
        people.setdefault(person_id, building_id)
    return people


async def create_notice(
    session: AsyncSession,
    *,
    community_id: int,
    author_person_id: int | None,
    draft: NoticeDraft,
    send_at: datetime,
    now: datetime,
    today: date,
    people: Mapping[int, int | None] | None = None,
    vote_id: int | None = None,
    extends_id: int | None = None,
) -> tuple[Notice, int]:
    """The notice and one pending delivery per resident of its audience (or the
    ``people`` given: person id -> building id), in the caller's transaction; how
    many residents it goes to."""
    if len(draft.title) > TITLE_MAX:
        raise NoticeError("title_too_long")
    limit = body_limit(draft.attachment_file_id is not None)
    if len(draft.body) > limit or len(draft.alt_body or "") > limit:
        raise NoticeError("body_too_long")
    if len(draft.alt_title or "") > TITLE_MAX:
        raise NoticeError("title_too_long")
    if draft.kind == NoticeKind.OUTAGE and not (
        draft.starts_at and draft.ends_at and draft.starts_at < draft.ends_at
    ):
        raise NoticeError("bad_window")
    if people is None:
        people = await audience_rows(session, community_id, draft, today)
    if not people:
        raise NoticeError("no_recipients")
    notice = Notice(
        community_id=community_id,
        author_person_id=author_person_id,
        kind=draft.kind,
        audience=draft.audience,
        building_ids=list(draft.building_ids),
        unit_ids=list(draft.unit_ids),
        title=draft.title,
        body=draft.body,
        alt_locale=draft.alt_locale if draft.alt_body else None,
        alt_title=draft.alt_title if draft.alt_body else None,
        alt_body=draft.alt_body or None,
        attachment_kind=draft.attachment_kind,
        attachment_file_id=draft.attachment_file_id,
        starts_at=draft.starts_at,
        ends_at=draft.ends_at,
        send_at=max(send_at, now),
        status=NoticeStatus.SCHEDULED,
        created_at=now,
        vote_id=vote_id,
        extends_id=extends_id,
    )
    session.add(notice)
    await session.flush()
    await add_deliveries(session, notice.id, people, Phase.NOTICE)
    await record_audit(
        session,
        "notices.send",
        community_id=community_id,
        actor_person_id=author_person_id,
        target_type="notice",
        target_id=str(notice.id),
        details={"kind": draft.kind.value, "recipients": len(people), "send_at": str(send_at)},
    )
    return notice, len(people)


async def add_deliveries(
    session: AsyncSession, notice_id: int, people: Mapping[int, int | None], phase: Phase
) -> None:
    rows = [
        {
            "notice_id": notice_id,
            "person_id": person_id,
            "building_id": building_id,
            "phase": phase,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
        }
        for person_id, building_id in people.items()
    ]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(NoticeDelivery), rows[start : start + 1000])


async def get_notice(session: AsyncSession, notice_id: int, community_id: int) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None or notice.community_id != community_id:
        raise NoticeError("not_found")
    return notice


async def mark_read(session: AsyncSession, notice_id: int, person_id: int, now: datetime) -> bool:
    """Record "got it"; False when this person was not sent the notice."""
    result = await session.execute(
        update(NoticeDelivery)
        .where(
            NoticeDelivery.notice_id == notice_id,
            NoticeDelivery.person_id == person_id,
            NoticeDelivery.phase == Phase.NOTICE,
        )
        .values(read_at=func.coalesce(NoticeDelivery.read_at, now))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def current_notices(
    session: AsyncSession, person_id: int, now: datetime, limit: int = 5
) -> list[Notice]:
    """The notices this person was sent that still apply, newest first."""
    rows = await session.scalars(
        select(Notice)
        .join(NoticeDelivery, NoticeDelivery.notice_id == Notice.id)
        .where(
            NoticeDelivery.person_id == person_id,
            NoticeDelivery.phase == Phase.NOTICE,
            NoticeDelivery.status == DeliveryStatus.SENT,
            Notice.created_at >= now - CURRENT_FOR,
            Notice.vote_id.is_(None),  # a vote's messages: see the votes
            Notice.kind != NoticeKind.EVENT,  # events: see the events
        )
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit * 2)
    )
    live = [n for n in rows if n.ends_at is None or n.ends_at > now]
    return live[:limit]


async def recent_notices(session: AsyncSession, community_id: int, limit: int = 8) -> list[Notice]:
    rows = await session.scalars(
        select(Notice)
        .where(Notice.community_id == community_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    return list(rows)


@dataclass
class BuildingFigures:
    name: str
    total: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0


@dataclass
class NoticeFigures:
    buildings: list[BuildingFigures]
    waiting: int
    failures: list[tuple[str, str]]  # (name, reason)

    @property
    def total(self) -> BuildingFigures:
        all_ = BuildingFigures("")
        for b in self.buildings:
            all_.total += b.total
            all_.delivered += b.delivered
            all_.read += b.read
            all_.failed += b.failed
        return all_


async def notice_figures(session: AsyncSession, notice_id: int) -> NoticeFigures:
    """Delivered, read and failed per building, and who could not be reached."""
    rows = (
        await session.execute(
            select(
                Building.name,
                NoticeDelivery.status,
                NoticeDelivery.read_at.is_not(None),
                NoticeDelivery.reason,
                Person.full_name,
            )
            .select_from(NoticeDelivery)
            .outerjoin(Building, Building.id == NoticeDelivery.building_id)
            .outerjoin(Person, Person.id == NoticeDelivery.person_id)
            .where(NoticeDelivery.notice_id == notice_id, NoticeDelivery.phase == Phase.NOTICE)
        )
    ).all()
    per: dict[str, BuildingFigures] = defaultdict(lambda: BuildingFigures(""))
    waiting = 0
    failures: list[tuple[str, str]] = []
    for building, status, read, reason, name in rows:
        figures = per[building or ""]
        figures.name = building or ""
        figures.total += 1
        if status == DeliveryStatus.SENT:
            figures.delivered += 1
            figures.read += int(bool(read))
        elif status == DeliveryStatus.FAILED:
            figures.failed += 1
            failures.append((name or "", reason or ""))
        else:
            waiting += 1
    return NoticeFigures(sorted(per.values(), key=lambda b: b.name), waiting, sorted(failures))


async def extend_outage(
    session: AsyncSession,
    *,
    community_id: int,
    notice_id: int,
    ends_at: datetime,
    author_person_id: int | None,
    now: datetime,
    today: date,
) -> tuple[Notice, int]:
    """An outage lasts longer: a new notice (the same window, the new end) to the
    residents the first one reached; the first one's end word is not sent."""
    notice = await get_notice(session, notice_id, community_id)
    if notice.kind != NoticeKind.OUTAGE or notice.ends_at is None:
        raise NoticeError("not_outage")
    if notice.status != NoticeStatus.SENT or notice.ended_told_at is not None:
        raise NoticeError("not_current")
    if ends_at <= max(notice.ends_at, now):
        raise NoticeError("bad_window")
    reached = await session.execute(
        select(NoticeDelivery.person_id, NoticeDelivery.building_id).where(
            NoticeDelivery.notice_id == notice.id,
            NoticeDelivery.phase == Phase.NOTICE,
            NoticeDelivery.status == DeliveryStatus.SENT,
            NoticeDelivery.person_id.is_not(None),
        )
    )
    people = {int(p): b for p, b in reached.all()}
    if not people:
        raise NoticeError("no_recipients")
    notice.ended_told_at = now  # the extension's own end word follows instead
    notice.reminded_at = notice.reminded_at or now
    draft = NoticeDraft(
        kind=NoticeKind.OUTAGE,
        audience=notice.audience,
        title=notice.title,
        body=notice.body,
        building_ids=list(notice.building_ids),
        unit_ids=list(notice.unit_ids or []),
        alt_locale=notice.alt_locale,
        alt_title=notice.alt_title,
        alt_body=notice.alt_body,
        starts_at=notice.starts_at,
        ends_at=ends_at,
        extended=True,
    )
    return await create_notice(
        session,
        community_id=community_id,
        author_person_id=author_person_id,
        draft=draft,
        send_at=now,
        now=now,
        today=today,
        people=people,
        extends_id=notice.id,
    )
