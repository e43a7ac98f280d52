"""Patrol texts shared by the commands, the jobs and the reports."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from core.patrols.models import PatrolRoute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def fmt_every(minutes: int) -> str:
    if minutes % 60 == 0:
        return _("{hours} h").format(hours=minutes // 60)
    return _("{minutes} min").format(minutes=minutes)


def fmt_schedule(route: PatrolRoute) -> str:
    return _("every {every} from {start} to {end}").format(
        every=fmt_every(route.every_min), start=_clock(route.start_min), end=_clock(route.end_min)
    )


def block(*lines: str) -> str:
    return "\n".join(lines)


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def refusal(code: str) -> str:
    texts = {
        "not_staff": _("Only staff of this community can record a patrol visit."),
        "other_community": _("This checkpoint belongs to another community: nothing was recorded."),
        "retired": _("This checkpoint is no longer in use: nothing was recorded."),
    }
    return texts.get(
        code,
        _(
            "This checkpoint link is not valid (forged, or from an old sheet): nothing was "
            "recorded. Please tell the office."
        ),
    )
