"""Dates, times and money as a resident of a given community expects to read them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_currency, get_currency_precision

# Babel knows zh_Hans_CN; the bot's locale names are gettext-style.
_BABEL_LOCALES = {"zh_Hans": "zh_Hans_CN", "en": "en"}


def babel_locale(locale: str | None) -> str:
    return _BABEL_LOCALES.get(locale or "zh_Hans", "en")


def local_dt(when: datetime, tz: str) -> datetime:
    return when.astimezone(ZoneInfo(tz))


def fmt_datetime(when: datetime, tz: str, locale: str | None) -> str:
    """E.g. ``2026年11月25日 16:40`` / ``Nov 25, 2026 16:40`` in the community's zone."""
    return fmt_short_datetime(when, tz, locale)


def fmt_short_datetime(when: datetime, tz: str, locale: str | None) -> str:
    local = local_dt(when, tz)
    loc = babel_locale(locale)
    return f"{format_date(local, 'medium', locale=loc)} {format_time(local, 'HH:mm', locale=loc)}"


def fmt_time(when: datetime, tz: str, locale: str | None) -> str:
    return format_time(local_dt(when, tz), "HH:mm", locale=babel_locale(locale))


def fmt_date(day: date, locale: str | None) -> str:
    return format_date(day, "medium", locale=babel_locale(locale))


def fmt_duration(delta: timedelta, locale: str | None) -> str:
    return format_timedelta(delta, locale=babel_locale(locale), threshold=1.2)


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    digits = get_currency_precision(currency)
    return Decimal(amount_minor).scaleb(-digits)


def fmt_money(amount_minor: int, currency: str, locale: str | None) -> str:
    """Integer minor units to e.g. ``¥1,234.50`` / ``US$12.00``."""
    return format_currency(
        minor_to_decimal(amount_minor, currency), currency, locale=babel_locale(locale)
    )
