"""The audit log in the admin group: a page of rows, the filter's usage, its errors."""

from __future__ import annotations

import html
from datetime import date, timedelta

from aiogram.utils.i18n import gettext as _

from core.audit_filter import AuditFilter, AuditFilterError
from core.audit_query import PAGE_SIZE, AuditRow
from core.formatting import fmt_short_datetime
from core.models import Community
from handlers.audit.labels import action_label, outcome_label, person_label

COMMAND = "/audit"
_FILTER_LINE = "🔎 " + COMMAND


def examples(today: date) -> tuple[str, str]:
    """Two filters worth copying, about the last three days (an example in the past
    year would read as a stale one)."""
    first = (today - timedelta(days=2)).isoformat()
    return f"{COMMAND} fees {first}..{today.isoformat()}", f"{COMMAND} @li_ming {today.isoformat()}"


def usage(today: date) -> str:
    by_dates, by_person = examples(today)
    return _(
        "Filter by person (@username, Telegram id or part of the name), by action "
        "(such as fees or fees.refund) and by day or days, in any order. "
        "For example: {example} or {other}"
    ).format(example=by_dates, other=by_person)


def filter_error(error: AuditFilterError, today: date) -> str:
    """What was wrong with the filter, and how to write it."""
    details = error.details
    if error.code == "bad_date":
        problem = _(
            "“{token}” is not a date I can read: write a day as {day} and several as {range}."
        ).format(
            token=html.escape(str(details.get("token", ""))),
            day=today.isoformat(),
            range=f"{(today - timedelta(days=2)).isoformat()}..{today.isoformat()}",
        )
    elif error.code == "bad_range":
        problem = _("The range ends before it begins: write the earlier day first.")
    elif error.code == "two_dates":
        problem = _("Give one day or one range of days.")
    elif error.code == "two_actions":
        problem = _("Give one action at a time (an area such as fees covers all its actions).")
    elif error.code == "bad_person":
        problem = _("“{token}” is not a Telegram @username: letters, digits and _ only.").format(
            token=html.escape(str(details.get("token", "")))
        )
    elif error.code == "long_person":
        problem = _("A name can be at most {limit} characters: part of it is enough.").format(
            limit=details.get("limit", 0)
        )
    else:
        problem = _("I could not read that filter.")
    return problem + "\n" + usage(today)


def page_text(
    community: Community,
    flt: AuditFilter,
    rows: list[AuditRow],
    *,
    total: int,
    page: int,
    locale: str,
    today: date,
) -> str:
    """The header (with the filter as typed: page buttons read it back from here),
    then one line per row, newest first."""
    lines = [
        _("📜 Audit log of {community}").format(community=html.escape(community.name)),
        html.escape(f"{_FILTER_LINE} {flt.text()}".strip()),
    ]
    if not rows:
        lines.append(_("Nothing matches this filter."))
    else:
        first = page * PAGE_SIZE + 1
        lines.append(
            _("{first}–{last} of {total}, newest first:").format(
                first=first, last=first + len(rows) - 1, total=total
            )
        )
        lines.append("")
        lines += [_row_line(row, community.timezone, locale) for row in rows]
    if flt.empty or not rows:
        lines += ["", usage(today)]
    return "\n".join(lines)


def _row_line(row: AuditRow, tz: str, locale: str) -> str:
    what = html.escape(action_label(row.action))
    if row.target_name:
        what += " → " + html.escape(row.target_name)
    who = html.escape(person_label(row))
    when = fmt_short_datetime(row.at, tz, locale)
    return f"{when} · <b>{who}</b> · {what} · {outcome_label(row.allowed)}"


def filter_in(text: str | None) -> str | None:
    """The filter a listing was made with, read back from its header line."""
    for line in (text or "").splitlines():
        if line.startswith(_FILTER_LINE):
            return line.removeprefix(_FILTER_LINE).strip()
    return None
