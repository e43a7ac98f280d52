"""Which month a ``/report tickets [month]`` asks for."""

from __future__ import annotations

import re
from datetime import date

MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")


def parse_month(arg: str, today: date) -> date | None:
    """ "2026-11", "2026/11" or "11" (this year); None when it is not a month."""
    arg = arg.strip()
    if not arg:
        return today.replace(day=1)
    match = MONTH_RE.match(arg)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    elif arg.isdigit():
        year, month = today.year, int(arg)
    else:
        return None
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return date(year, month, 1)
