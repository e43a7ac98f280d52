"""A community itself: create it, find it (the CLI's ``COMMUNITY`` argument), list
them, and bind its admin group (what ``/setup`` stores)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_name
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_audit
from core.models import Community
from core.movein.rules import OWNER_REVIEW_KEY


class CommunityError(Exception):
    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# --- communities ------------------------------------------------------------------


async def create_community(
    session: AsyncSession,
    name: str,
    *,
    timezone: str,
    currency: str,
    locale: str = "zh_Hans",
    address: str = "",
    duty_phone: str = "",
    document_retention_days: int | None = None,
    owner_invitations_reviewed: bool = False,
) -> Community:
    name = name.strip()
    if not name or len(name) > 120:
        raise CommunityError("bad_name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommunityError("bad_timezone", timezone=timezone) from None
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha() or get_currency_name(currency) == currency:
        raise CommunityError("bad_currency", currency=currency)
    if locale not in ("zh_Hans", "en"):
        raise CommunityError("bad_locale", locale=locale)
    if await session.scalar(select(Community.id).where(Community.name == name)) is not None:
        raise CommunityError("exists", name=name)
    config: dict[str, Any] = {}
    if document_retention_days is not None:
        if not 1 <= document_retention_days <= 3650:
            raise CommunityError("bad_retention")
        config["document_retention_days"] = document_retention_days
    if owner_invitations_reviewed:
        config[OWNER_REVIEW_KEY] = True
    community = Community(
        name=name,
        timezone=timezone,
        currency=currency,
        locale=locale,
        address=address.strip(),
        duty_phone=duty_phone.strip(),
        config=config,
    )
    session.add(community)
    await session.flush()
    await record_audit(
        session,
        "community.created",
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        details={"name": name, "timezone": timezone, "currency": currency},
    )
    return community


async def find_community(session: AsyncSession, ref: str) -> Community:
    """A community by numeric id or by exact name."""
    ref = ref.strip()
    community = await session.scalar(select(Community).where(Community.name == ref))
    if community is None and ref.isdigit():
        community = await session.get(Community, int(ref))
    if community is None:
        raise CommunityError("not_found", ref=ref)
    return community


async def list_communities(session: AsyncSession) -> list[Community]:
    return list((await session.scalars(select(Community).order_by(Community.name))).all())


async def bind_admin_group(
    session: AsyncSession,
    community: Community,
    chat_id: int,
    *,
    is_forum: bool,
    actor_person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> int | None:
    """Bind ``chat_id`` as the community's admin group; return the previous chat id.

    A chat serves one community only: each community keeps its own staff,
    residents' documents and alerts apart.
    """
    other = await session.scalar(
        select(Community).where(Community.admin_chat_id == chat_id, Community.id != community.id)
    )
    if other is not None:
        raise CommunityError("chat_bound_elsewhere", community=other.name)
    previous = community.admin_chat_id
    community.admin_chat_id = chat_id
    community.admin_chat_is_forum = is_forum
    await session.flush()
    await record_audit(
        session,
        "community.admin_group_bound",
        community_id=community.id,
        actor_person_id=actor_person_id,
        actor_telegram_id=actor_telegram_id,
        target_type="chat",
        target_id=chat_id,
        details={"previous": previous, "is_forum": is_forum},
    )
    return previous


async def migrate_admin_group(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group upgraded to a supergroup gets a new id; follow it."""
    result = await session.execute(
        update(Community)
        .where(Community.admin_chat_id == old_chat_id)
        .values(admin_chat_id=new_chat_id)
    )
    return bool(getattr(result, "rowcount", 0))
