"""What the admin group's move-in cards need: the residency a button names, the
names of the staff who acted, the group's "Move-in" topic, and the applications
still to be posted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import unit_label
from core.models import Community, Person, Residency, ResidencyStatus, Unit
from core.movein_models import ApplicationStatus, MoveInApplication
from core.residents import ResidentsError, owner_residency

PERSON_NAME_MAX = 120  # Person.full_name


@dataclass(frozen=True)
class ResidencyCard:
    """A residency with what a card or notice about it shows."""

    residency_id: int
    status: ResidencyStatus
    person: Person
    unit_id: int
    unit_label: str
    community: Community

    @property
    def is_active(self) -> bool:
        """Not ended yet (what ``end_residency`` ends; a lease past its end date is
        still this until the hourly job ends it)."""
        return self.status == ResidencyStatus.ACTIVE


async def residency_card(
    session: AsyncSession, residency_id: int, *, community_id: int | None = None
) -> ResidencyCard | None:
    """The residency, or None when it does not exist or (with ``community_id``) is
    not in that community — a button pressed in one community's group never acts
    on another's residents."""
    residency = await session.get(Residency, residency_id)
    unit = await session.get(Unit, residency.unit_id) if residency else None
    if residency is None or unit is None:
        return None
    if community_id is not None and unit.community_id != community_id:
        return None
    community = await session.get(Community, unit.community_id)
    person = await session.get(Person, residency.person_id)
    if community is None or person is None:
        return None
    return ResidencyCard(
        residency.id,
        residency.status,
        person,
        unit.id,
        await unit_label(session, unit.id),
        community,
    )


async def family_member_card(
    session: AsyncSession, owner_person_id: int, residency_id: int
) -> ResidencyCard | None:
    """A residency in a unit ``owner_person_id`` owns (what an owner may be asked to
    remove); None otherwise."""
    card = await residency_card(session, residency_id)
    if card is None:
        return None
    try:
        await owner_residency(session, owner_person_id, card.unit_id)
    except ResidentsError:
        return None
    return card


async def person_names(session: AsyncSession, person_ids: Iterable[int | None]) -> dict[int, str]:
    """Names by person id (``"?"`` for a person who no longer exists)."""
    names: dict[int, str] = {}
    for person_id in person_ids:
        if person_id and person_id not in names:
            person = await session.get(Person, person_id)
            names[person_id] = person.full_name if person else "?"
    return names


async def learn_person_name(session: AsyncSession, person_id: int, name: str) -> None:
    """Keep a name learnt from Telegram for a person who never gave one (staff added
    by the operator may never have written to the bot), so cards say who acted."""
    person = await session.get(Person, person_id)
    if person is not None and not person.full_name:
        person.full_name = name[:PERSON_NAME_MAX]


async def application_awaiting_documents(
    session: AsyncSession, application_id: int, person_id: int | None
) -> MoveInApplication | None:
    """The person's application, if the office is waiting for more documents."""
    application = await session.get(MoveInApplication, application_id)
    if (
        application is None
        or application.person_id != person_id
        or application.status != ApplicationStatus.MORE_INFO
    ):
        return None
    return application


async def unposted_applications(session: AsyncSession) -> list[int]:
    """Submitted applications that never reached their community's admin group
    although it now has one (bound after the submission, or Telegram failed)."""
    rows = await session.scalars(
        select(MoveInApplication.id)
        .join(Community, Community.id == MoveInApplication.community_id)
        .where(
            MoveInApplication.status == ApplicationStatus.SUBMITTED,
            MoveInApplication.admin_message_id.is_(None),
            Community.admin_chat_id.is_not(None),
        )
        .order_by(MoveInApplication.id)
    )
    return list(rows.all())


# --- the admin group's "Move-in" topic ---------------------------------------------
# Kept in the community's config with the chat it belongs to: a group migrated to a
# new chat id gets a new topic.

_TOPIC_KEY = "movein_thread"


def saved_movein_thread(community: Community) -> int | None:
    saved = community.config.get(_TOPIC_KEY)
    if isinstance(saved, dict) and saved.get("chat") == community.admin_chat_id:
        return int(saved["thread"])
    return None


def remember_movein_thread(community: Community, thread_id: int) -> None:
    community.config = {
        **community.config,
        _TOPIC_KEY: {"chat": community.admin_chat_id, "thread": thread_id},
    }


def forget_movein_thread(community: Community) -> None:
    """The topic was deleted by an admin: post in General from now on."""
    community.config = {k: v for k, v in community.config.items() if k != _TOPIC_KEY}
