"""``courtyard audit``: the operator reads the audit log.

    courtyard audit [COMMUNITY] [--action fees] [--person @li_ming] [--since 2026-12-01]
                    [--until 2026-12-03] [--limit 50] [--csv]

``COMMUNITY`` is a name or id; without it, every community's rows (and those of
none, such as a community being created). Days are the community's (its time
zone), else the deployment's (COURTYARD_TIMEZONE). Without ``--csv`` the newest
``--limit`` rows are printed, one a line; with it, every matching row goes to
standard output as the same CSV managers export (UTF-8 with a BOM).
"""

from __future__ import annotations

from typing import Any

import click

from bot.cli_community.common import community_error, fail, run
from bot.i18n import create_i18n
from bot.settings import load_settings
from core.audit_filter import AuditFilter, AuditFilterError, make_filter, parse_day
from core.audit_query import AuditRow, audit_csv, count_audit, find_audit
from core.communities import CommunityError, find_community
from core.formatting import local_dt
from handlers.audit.labels import action_label, person_label

FILTER_ERRORS = {
    "bad_date": "{token!r} is not a day: write YYYY-MM-DD, e.g. 2026-12-01",
    "bad_range": "--since is after --until",
    "bad_action": "{token!r} is not an action: an area such as fees, or an action "
    "such as fees.refund",
    "bad_person": "{token!r} is not a Telegram @username (letters, digits and _)",
    "long_person": "--person is at most {limit} characters (part of a name is enough)",
}


def register(group: click.Group) -> None:
    group.add_command(audit)


def _filter(
    person: str | None, action: str | None, since: str | None, until: str | None
) -> AuditFilter:
    try:
        return make_filter(
            person=person,
            action=action,
            since=parse_day(since) if since else None,
            until=parse_day(until) if until else None,
        )
    except AuditFilterError as exc:
        raise click.UsageError(FILTER_ERRORS[exc.code].format(**exc.details)) from None


@click.command("audit")
@click.argument("community", required=False)
@click.option("--action", help="An area (fees) or one action (fees.refund).")
@click.option("--person", help="@username, Telegram id, or part of a name.")
@click.option("--since", help="First day, YYYY-MM-DD (the community's time zone).")
@click.option("--until", help="Last day, YYYY-MM-DD (included).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--csv", "as_csv", is_flag=True, help="Every matching row as CSV on stdout.")
def audit(
    community: str | None,
    action: str | None,
    person: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_csv: bool,
) -> None:
    """Who did what, newest first: allowed and refused staff actions, changes."""
    flt = _filter(person, action, since, until)
    default_tz = load_settings().timezone
    i18n = create_i18n("en")

    async def work(session_factory: Any) -> tuple[list[AuditRow], int, str]:
        async with session_factory() as session:
            community_id, tz = None, default_tz
            if community is not None:
                try:
                    found = await find_community(session, community)
                except CommunityError as exc:
                    fail(community_error(exc))
                    raise  # not reached: fail() exits
                community_id, tz = found.id, found.timezone
            rows = await find_audit(
                session, flt, community_id=community_id, tz=tz, limit=None if as_csv else limit
            )
            total = (
                len(rows)
                if as_csv
                else await count_audit(session, flt, community_id=community_id, tz=tz)
            )
            return rows, total, tz

    rows, total, tz = run(work)
    with i18n.context(), i18n.use_locale("en"):
        if as_csv:
            data = audit_csv(rows, tz=tz, label=action_label, person=person_label)
            click.echo(data, nl=False)  # bytes: written as they are
            return
        for row in rows:
            click.echo(_line(row, tz))
    rows_word = "row" if total == 1 else "rows"
    if total > len(rows):
        click.echo(
            f"{len(rows)} of {total} {rows_word}, newest first (--limit, or --csv for all)",
            err=True,
        )
    else:
        click.echo(f"{total} {rows_word}, newest first", err=True)


def _line(row: AuditRow, tz: str) -> str:
    when = local_dt(row.at, row.timezone or tz).strftime("%Y-%m-%d %H:%M")
    who = person_label(row) + (f" (@{row.username})" if row.username else "")
    place = row.community_name or "-"
    outcome = "allowed" if row.allowed else "REFUSED"
    what = action_label(row.action)
    if row.target_name:
        what += f" → {row.target_name}"
    return f"{when}  {place}  {who}  {outcome}  {row.action}  {what}"
