"""The audit log's filter: what a manager types after ``/audit``, or an operator
passes to ``courtyard audit``.

Any of a person (``@username``, a Telegram id, or part of a name), an action
(``fees`` for every fee action, or ``fees.refund``) and a day or range of days
(``2026-12-01``, ``2026-12-01..2026-12-03``, open ends allowed), in any order. Days
are the community's (its time zone; see ``core.audit_query``). :func:`parse_filter`
reads the typed text, :func:`make_filter` the operator's options; both raise
:class:`AuditFilterError` with a ``code``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.audit import RECORDED_ACTIONS
from core.permissions import STAFF_ACTIONS

# Every action the log can hold: what services record, and the staff actions
# (whose refusals are recorded under their own name).
KNOWN_ACTIONS: frozenset[str] = RECORDED_ACTIONS | frozenset(STAFF_ACTIONS)

PERSON_MAX_LEN = 60

_DAY = r"\d{4}-\d{1,2}-\d{1,2}"
_DAYS = re.compile(rf"(?P<since>{_DAY})?(?P<dots>\.\.)?(?P<until>{_DAY})?")
_DATE_LIKE = re.compile(r"\d+-[\d.-]*|\.\.[\d.-]*")  # meant as a date, right or wrong
_ACTION = re.compile(r"[a-z_]+(\.[a-z_]+)*")
_USERNAME = re.compile(r"@[A-Za-z0-9_]{1,32}")


class AuditFilterError(Exception):
    """A filter that cannot be read. ``code``: ``bad_date`` (``token``), ``bad_range``
    (the first day after the last), ``two_dates``, ``two_actions``, ``bad_action``
    (``token``), ``bad_person`` (an @username with spaces or bad characters),
    ``long_person`` (``limit``)."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class AuditFilter:
    person: str | None = None  # as typed: "@alice", "123456789" or part of a name
    action: str | None = None  # a whole action or its area ("fees")
    since: date | None = None  # first day, inclusive
    until: date | None = None  # last day, inclusive

    @property
    def empty(self) -> bool:
        return not (self.person or self.action or self.since or self.until)

    def text(self) -> str:
        """The filter as it would be typed (parsing it gives the same filter)."""
        parts = [self.action or ""]
        if self.since or self.until:
            since = self.since.isoformat() if self.since else ""
            until = self.until.isoformat() if self.until else ""
            parts.append(since if self.since == self.until else f"{since}..{until}")
        parts.append(self.person or "")
        return " ".join(part for part in parts if part)


def is_action(token: str) -> bool:
    """Whether ``token`` names an action or an area of actions the log knows."""
    token = token.removesuffix(".")
    return any(a == token or a.startswith(token + ".") for a in KNOWN_ACTIONS)


def parse_filter(text: str) -> AuditFilter:
    """The filter typed after /audit. A date-shaped word is a date (or a mistake);
    an action the log knows is the action; the rest, together, is the person."""
    action: str | None = None
    days: tuple[date | None, date | None] | None = None
    person: list[str] = []
    for token in text.split():
        if _DATE_LIKE.fullmatch(token):
            if days is not None:
                raise AuditFilterError("two_dates")
            days = _parse_days(token)
        elif _ACTION.fullmatch(token.lower().removesuffix(".")) and is_action(token.lower()):
            if action is not None:
                raise AuditFilterError("two_actions")
            action = token.lower().removesuffix(".")
        else:
            person.append(token)
    since, until = days or (None, None)
    return make_filter(person=" ".join(person) or None, action=action, since=since, until=until)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(_zero_padded(text))
    except ValueError:
        raise AuditFilterError("bad_date", token=text) from None


def make_filter(
    *,
    person: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> AuditFilter:
    """A checked filter from its parts (the operator's options, or parsed text)."""
    if since and until and since > until:
        raise AuditFilterError("bad_range", since=since, until=until)
    if action is not None:
        action = action.strip().lower().removesuffix(".")
        if not _ACTION.fullmatch(action):
            raise AuditFilterError("bad_action", token=action)
    if person is not None:
        person = " ".join(person.split()) or None
    if person is not None:
        if len(person) > PERSON_MAX_LEN:
            raise AuditFilterError("long_person", limit=PERSON_MAX_LEN)
        if person.startswith("@") and not _USERNAME.fullmatch(person):
            raise AuditFilterError("bad_person", token=person)
    return AuditFilter(person=person, action=action or None, since=since, until=until)


def _parse_days(token: str) -> tuple[date | None, date | None]:
    match = _DAYS.fullmatch(token)
    if match is None or not (match["since"] or match["until"]):
        raise AuditFilterError("bad_date", token=token)
    since = parse_day(match["since"]) if match["since"] else None
    until = parse_day(match["until"]) if match["until"] else None
    if not match["dots"]:
        until = since
    return since, until


def _zero_padded(text: str) -> str:
    year, _, rest = text.partition("-")
    month, _, day = rest.partition("-")
    return f"{year}-{month.zfill(2)}-{day.zfill(2)}"
