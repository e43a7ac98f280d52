"""What staff type after a fee command in the admin group, read into values.

Amounts and single periods are read by :func:`core.fees.common.parse_money` and
:meth:`core.fees.common.Period.parse`; here are the rest: a range of periods, an
expense category in either language, a ``#42``-style id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from core.fees.common import Period

# /export without periods: the last twelve months, this one included.
EXPORT_MONTHS = 12


def period_range(args: str | None, today: date) -> tuple[Period, Period]:
    """``""`` → this period twice; ``2026-11`` → it twice; two periods → in order.
    Raises ``FeeError("bad_period")``."""
    parts = (args or "").split()
    if not parts:
        current = Period.of(today)
        return current, current
    first = Period.parse(parts[0])
    last = Period.parse(parts[1]) if len(parts) > 1 else first
    if last < first:
        first, last = last, first
    return first, last


def export_range(args: str | None, today: date) -> tuple[Period, Period]:
    """The periods of /export: as :func:`period_range`, the last
    :data:`EXPORT_MONTHS` months when none are given."""
    first, last = period_range(args, today)
    if not (args or "").split():
        first = first.shift(1 - EXPORT_MONTHS)
    return first, last


def match_category(
    text: str, allowed: tuple[str, ...], labels: Iterable[Mapping[str, str]]
) -> str | None:
    """The category key staff meant: the key itself, or its label in one of
    ``labels`` (one mapping key → label per language), case-insensitively."""
    wanted = text.strip().lower()
    if wanted in allowed:
        return wanted
    for language in labels:
        for key in allowed:
            if language.get(key, "").lower() == wanted:
                return key
    return None


def parse_id(text: str) -> int | None:
    """``42`` or ``#42`` → 42; anything else → None."""
    raw = text.lstrip("#")
    return int(raw) if raw.isdigit() else None
