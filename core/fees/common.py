"""Small pieces every fees module uses: the domain error, billing periods,
per-community settings, exact rounding and row locking that works on both
SQLite and PostgreSQL."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community

# A ledger entry's note or reason, in characters.
MAX_REASON = 500


class FeeError(Exception):
    """A fees service refused; ``code`` says why (handlers turn it into text)."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the unit of billing (``2026-11``)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        raw = text.strip()
        try:
            year_s, month_s = raw.replace("/", "-").split("-", 1)
            year, month = int(year_s), int(month_s)
        except ValueError:
            raise FeeError("bad_period", value=text) from None
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise FeeError("bad_period", value=text)
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def end(self) -> date:
        """The first day after the period."""
        return self.start + timedelta(days=self.days)

    def day(self, day_of_month: int) -> date:
        return date(self.year, self.month, max(1, min(day_of_month, self.days)))

    def shift(self, months: int) -> Period:
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)


def round_minor(value: Decimal) -> int:
    """Exact half-up rounding to whole minor units (¥0.005 → ¥0.01)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_money(text: str, *, allow_negative: bool = False, digits: int = 2) -> int:
    """``"1,234.5"`` / ``"¥12"`` → minor units; refuses more decimals than the currency has."""
    raw = text.strip().replace(",", "").replace("，", "").lstrip("¥￥$").strip()
    raw = raw.removesuffix("元").strip()
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise FeeError("bad_amount", value=text) from None
    if not value.is_finite():
        raise FeeError("bad_amount", value=text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise FeeError("bad_amount", value=text)
    minor = int(value.scaleb(digits))
    if minor < 0 and not allow_negative:
        raise FeeError("bad_amount", value=text)
    if abs(minor) > 10**12:
        raise FeeError("bad_amount", value=text)
    return minor


# --- per-community settings (Community.config["fees"]) ---------------------------------

DEFAULTS: dict[str, Any] = {
    "reminder_every_days": 3,  # at most one reminder per bill per N days
    "remind_before_days": 3,  # the first reminder, days before the due date
    "quiet_hours": "21:00-08:00",  # never remind in these hours (community time)
    "late_fee_grace_days": 0,  # days after the due date before a late fee applies
}


def fees_config(community: Community) -> dict[str, Any]:
    own = (community.config or {}).get("fees") or {}
    return {**DEFAULTS, **{k: v for k, v in own.items() if k in DEFAULTS}}


def local_now(community: Community, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(community.timezone))


def local_today(community: Community, now: datetime) -> date:
    return local_now(community, now).date()


def _parse_hhmm(text: str) -> time:
    hour, minute = text.strip().split(":")
    return time(int(hour), int(minute))


def in_quiet_hours(community: Community, now: datetime) -> bool:
    spec = str(fees_config(community)["quiet_hours"] or "")
    if not spec or "-" not in spec:
        return False
    start_s, end_s = spec.split("-", 1)
    try:
        start, end = _parse_hhmm(start_s), _parse_hhmm(end_s)
    except ValueError:
        start, end = time(21), time(8)
    current = local_now(community, now).time()
    if start <= end:
        return start <= current < end
    return current >= start or current < end


# --- locking --------------------------------------------------------------------------


async def lock_rows(session: AsyncSession, model: Any, ids: Iterable[int]) -> None:
    """Serialise writers of these rows until the transaction ends.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite has no row locks; a no-op UPDATE
    takes the database's write lock, and every read after it in this
    transaction sees the latest committed data.
    """
    id_list: Sequence[int] = sorted(set(ids))
    if not id_list:
        return
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            select(model.id).where(model.id.in_(id_list)).order_by(model.id).with_for_update()
        )
    else:
        await session.execute(
            update(model)
            .where(model.id.in_(id_list))
            .values(id=model.id)
            .execution_options(synchronize_session=False)
        )
