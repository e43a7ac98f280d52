"""Who lives where: the one definition of an active residency.

A residency counts as *active* when staff approved it (status ACTIVE) and, when a
date is given, its lease has not ended before that date: a tenancy whose end date has
passed stays ACTIVE until the daily job ends it (:func:`core.residents.end_expired_tenancies`),
and in between it must not count. Every query asking "does this person live in this
unit (or community) on this date" builds its condition with
:func:`active_residency_clause`; code holding a row already uses :func:`is_active_on`.
"Does this person live in or await this unit" (may they apply or join again) is
:func:`membership_clause`.

Callers that know the community's local date pass it as ``today``; the few that ask
without a date (a revocation hook, a count) get the status test alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from core.models import Residency, ResidencyStatus

#: A person whose residency of a unit has one of these statuses lives there or has
#: applied to: they may not apply again, nor join it by invitation.
MEMBER_STATUSES = (ResidencyStatus.ACTIVE, ResidencyStatus.PENDING)


def active_residency_clause(
    today: date | None = None,
    *,
    person_id: int | None = None,
    unit_id: int | None = None,
    residency: Any = Residency,
) -> ColumnElement[bool]:
    """The WHERE condition "active (on ``today``)", optionally of one person or unit.

    ``residency`` is what the query selects from: the ``Residency`` entity (default),
    an alias of it, or ``Residency.__table__.c`` for Core queries.
    """
    conditions: list[ColumnElement[bool]] = [residency.status == ResidencyStatus.ACTIVE]
    if today is not None:
        conditions.append(or_(residency.end_date.is_(None), residency.end_date >= today))
    if person_id is not None:
        conditions.append(residency.person_id == person_id)
    if unit_id is not None:
        conditions.append(residency.unit_id == unit_id)
    return and_(*conditions)


def is_active_on(status: ResidencyStatus | str, end_date: date | None, today: date) -> bool:
    """The same rule for a row already loaded."""
    return status == ResidencyStatus.ACTIVE and (end_date is None or end_date >= today)


def membership_clause(person_id: int, unit_id: int) -> ColumnElement[bool]:
    """The WHERE condition "this person lives in this unit or has applied to"."""
    return and_(
        Residency.person_id == person_id,
        Residency.unit_id == unit_id,
        Residency.status.in_(MEMBER_STATUSES),
    )
