"""The scorecard's words: the message managers and residents read, and the
chart's and the PDF's labels (in the reader's locale, the caller sets it)."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiogram.utils.i18n import gettext as _

from core.equipment.lights import TARGET_PCT
from core.formatting import fmt_date, fmt_duration
from core.scorecard.figures import Scorecard
from core.scorecard.measures import AccountsOnSchedule, AccountsState
from core.scorecard.render import ScorecardPicture
from core.surveys.results import Satisfaction
from core.tickets.models import DeadlineKind
from core.tickets.reports import DeadlineShare
from handlers.patrols.texts import fmt_pct


def _title(card: Scorecard, locale: str) -> str:
    if card.weekly:
        return _("The office's scorecard, {first} – {last}").format(
            first=fmt_date(card.first, locale), last=fmt_date(card.last, locale)
        )
    return _("The office's scorecard, {month}").format(month=card.month.strftime("%Y-%m"))


def _accounts(accounts: AccountsOnSchedule | None, locale: str) -> str:
    if accounts is None:
        return _("Accounts published on schedule: —")
    period = "{first} – {last}".format(
        first=accounts.period_start.strftime("%Y-%m"),
        last=(accounts.period_end - timedelta(days=1)).strftime("%Y-%m"),
    )
    due = fmt_date(accounts.due_by, locale)
    published = fmt_date(accounts.published_on, locale) if accounts.published_on else ""
    texts = {
        AccountsState.ON_TIME: _("Accounts of {period}: published on time ({published})"),
        AccountsState.LATE: _("Accounts of {period}: published late ({published}, due by {due})"),
        AccountsState.MISSING: _("Accounts of {period}: not published (due by {due})"),
        AccountsState.NOT_DUE: _("Accounts of {period}: due by {due}"),
    }
    return texts[accounts.state].format(period=period, published=published, due=due)


def _satisfaction(found: Satisfaction | None, locale: str) -> str:
    if found is None or found.mean is None:
        return _("Latest survey satisfaction: —")
    return _(
        "Latest survey satisfaction: {mean} of 5 (yearly survey closed {day}, "
        "{done} of {total} households)"
    ).format(
        mean=found.mean,
        day=fmt_date(found.closed_on, locale),
        done=found.responded,
        total=found.households,
    )


def _share_pct(share: DeadlineShare) -> float | None:
    return None if share.share is None else 100.0 * share.share


def _window(window: timedelta | None, locale: str) -> str:
    return fmt_duration(window, locale) if window is not None else "—"


def figure_lines(card: Scorecard, locale: str) -> list[str]:
    """Every figure, one line each, plain text (no HTML), in the issue's order."""
    lights = card.lights
    median = card.median_to_on_site
    urgent = card.urgent
    lines = [
        _("Urgent repairs on site within {window}: {pct} ({met} of {total})").format(
            window=_window(urgent.on_site_window, locale),
            pct=fmt_pct(_share_pct(urgent.on_site)),
            met=urgent.on_site.met,
            total=urgent.on_site.decided,
        ),
        _("Urgent repairs done within {window}: {pct} ({met} of {total})").format(
            window=_window(urgent.done_window, locale),
            pct=fmt_pct(_share_pct(urgent.done)),
            met=urgent.done.met,
            total=urgent.done.decided,
        ),
        _("Median time to on site: {time}").format(
            time=fmt_duration(median, locale) if median is not None else "—"
        ),
        _("Complaints resolved: {pct} ({done} of {total})").format(
            pct=fmt_pct(card.complaints.pct),
            done=card.complaints.resolved,
            total=card.complaints.filed,
        ),
        _("Fire-lane checks: {done} of {required} required").format(
            done=card.lanes.done, required=card.lanes.required
        ),
        _("Patrol rounds completed: {pct} ({done} of {total})").format(
            pct=fmt_pct(card.rounds_pct), done=card.rounds_completed, total=card.rounds
        ),
        _("Lights working: {pct} of {checked} checked (target {target})").format(
            pct=fmt_pct(lights.pct), checked=lights.checked, target=fmt_pct(TARGET_PCT)
        ),
        _("Maintenance done on time: {pct} ({done} of {total})").format(
            pct=fmt_pct(card.tasks_pct), done=card.tasks_on_time, total=card.tasks_due
        ),
        _("Tickets resolved within their deadline: {pct}").format(
            pct=fmt_pct(card.deadline_pct(DeadlineKind.RESOLVE))
        ),
        _accounts(card.accounts, locale),
        _satisfaction(card.satisfaction, locale),
    ]
    if card.weekly:
        lines.append(_("Fire lanes and lights: the month so far."))
    return lines


def scorecard_text(card: Scorecard, locale: str) -> str:
    lines = [f"<b>📊 {escape(_title(card, locale))}</b>"]
    lines.extend(escape(line) for line in figure_lines(card, locale))
    return "\n".join(lines)


def scorecard_picture(card: Scorecard, community_name: str, locale: str) -> ScorecardPicture:
    shares = [
        (_("Urgent repairs on site in time"), _share_pct(card.urgent.on_site)),
        (_("Urgent repairs done in time"), _share_pct(card.urgent.done)),
        (_("Complaints resolved"), card.complaints.pct),
        (_("Fire-lane checks"), card.lanes.pct),
        (_("Patrol rounds"), card.rounds_pct),
        (_("Lights working"), card.lights.pct),
        (_("Maintenance on time"), card.tasks_pct),
    ]
    return ScorecardPicture(
        title=f"{community_name} · {_title(card, locale)}",
        bars=[(label, value) for label, value in shares if value is not None],
        no_data=_("Nothing to measure yet"),
        lines=figure_lines(card, locale),
        footer=_(
            "Computed by Courtyard from the office's own records (patrols, checks, "
            "maintenance, tickets, accounts); nothing is typed in."
        ),
    )
