"""Monthly ticket figures for the property office, and the chart that goes with them.

The month is the community's calendar month (its time zone). Tickets count in
the month they were filed. A deadline counts as met when it was met by its
due time, missed when it was met late or is still open past due; deadlines
not yet due and voided ones (cancelled or rejected tickets) are left out.

The chart is drawn with matplotlib's object API (no pyplot global state, safe
in a worker thread). Chinese labels need a CJK font: we look for Noto CJK or
WenQuanYi in the usual places; without one, :func:`cjk_font_path` returns
None and callers label the chart in English rather than draw empty boxes.
"""

from __future__ import annotations

import glob
import io
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.models import Community
from core.tickets.models import (
    DeadlineKind,
    HazardType,
    RepairCategory,
    Ticket,
    TicketDeadline,
    TicketKind,
)

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
CJK_FONT_GLOBS = (
    "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/NotoSansCJK*.otf",
    "/usr/share/fonts/**/NotoSerifCJK*.tt[cf]",
    "/usr/share/fonts/**/wqy-*.tt[cf]",
    "/usr/local/share/fonts/**/*CJK*.tt[cf]",
    str(Path.home() / ".fonts/**/*CJK*.tt[cf]"),
)


@cache
def cjk_font_path() -> str | None:
    """A font file with Chinese glyphs, or None when the machine has none."""
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    for pattern in CJK_FONT_GLOBS:
        for match in sorted(glob.glob(pattern, recursive=True)):
            return match
    return None


@dataclass(frozen=True)
class DeadlineShare:
    met: int
    decided: int

    @property
    def share(self) -> float | None:
        return self.met / self.decided if self.decided else None


@dataclass
class TicketReport:
    community_id: int
    month: date  # first day of the month
    total: int = 0
    by_kind: Counter[TicketKind] = field(default_factory=Counter)
    by_category: Counter[RepairCategory] = field(default_factory=Counter)
    by_hazard: Counter[HazardType] = field(default_factory=Counter)
    deadlines: dict[DeadlineKind, DeadlineShare] = field(default_factory=dict)
    median_to_on_site: timedelta | None = None
    median_to_resolved: timedelta | None = None
    average_rating: float | None = None
    ratings: int = 0


def month_bounds(month: date, tz: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of a calendar month in the given zone, as aware datetimes."""
    zone = ZoneInfo(tz)
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=zone)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = datetime.combine(following, time(0), tzinfo=zone)
    return start, end


def current_month(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date().replace(day=1)


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    seconds = statistics.median(v.total_seconds() for v in values)
    return timedelta(seconds=round(seconds))


def deadline_outcome(deadline: TicketDeadline, now: datetime) -> bool | None:
    """Met by its due time (True), missed (False: met late, or open past due), or
    not decided (None: not due yet, or voided)."""
    if deadline.voided_at is not None:
        return None
    if deadline.met_at is not None:
        return deadline.met_at <= deadline.due_at
    return False if deadline.due_at <= now else None


async def build_report(
    session: AsyncSession, community: Community, month: date, now: datetime
) -> TicketReport:
    start, end = month_bounds(month, community.timezone)
    return await build_period_report(session, community, start, end, now)


async def build_period_report(
    session: AsyncSession, community: Community, start: datetime, end: datetime, now: datetime
) -> TicketReport:
    """The same figures for tickets filed in ``[start, end)`` (a week, for the
    office's scorecard); ``month`` is the month ``start`` falls in."""
    month = start.astimezone(ZoneInfo(community.timezone)).date()
    tickets = (
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.community_id == community.id,
                Ticket.created_at >= start,
                Ticket.created_at < end,
            )
            .options(selectinload(Ticket.deadlines))
        )
    ).all()
    report = TicketReport(community_id=community.id, month=month.replace(day=1))
    report.total = len(tickets)
    met: Counter[DeadlineKind] = Counter()
    decided: Counter[DeadlineKind] = Counter()
    to_on_site: list[timedelta] = []
    to_resolved: list[timedelta] = []
    ratings: list[int] = []
    for ticket in tickets:
        report.by_kind[ticket.kind] += 1
        if ticket.category is not None:
            report.by_category[ticket.category] += 1
        if ticket.hazard is not None:
            report.by_hazard[ticket.hazard] += 1
        for deadline in ticket.deadlines:
            outcome = deadline_outcome(deadline, now)
            if outcome is not None:
                decided[deadline.kind] += 1
                met[deadline.kind] += int(outcome)
        if ticket.on_site_at is not None:
            to_on_site.append(ticket.on_site_at - ticket.created_at)
        if ticket.resolved_at is not None:
            to_resolved.append(ticket.resolved_at - ticket.created_at)
        if ticket.rating is not None:
            ratings.append(ticket.rating)
    report.deadlines = {k: DeadlineShare(met[k], decided[k]) for k in DeadlineKind if decided[k]}
    report.median_to_on_site = _median(to_on_site)
    report.median_to_resolved = _median(to_resolved)
    report.ratings = len(ratings)
    report.average_rating = round(sum(ratings) / len(ratings), 2) if ratings else None
    return report


@dataclass(frozen=True)
class ChartLabels:
    """Every word on the chart, already translated by the caller."""

    title: str
    by_kind_title: str
    by_category_title: str
    deadlines_title: str
    kinds: dict[TicketKind, str]
    categories: dict[RepairCategory, str]
    deadlines: dict[DeadlineKind, str]
    no_data: str


def render_chart(report: TicketReport, labels: ChartLabels, *, use_cjk_font: bool = True) -> bytes:
    """A PNG with three panels: tickets by kind, repairs by category, deadlines met (%)."""
    # Imported here: matplotlib takes seconds to import and only reports need it.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    families = ["DejaVu Sans"]
    font_path = cjk_font_path() if use_cjk_font else None
    if font_path is not None:
        from matplotlib import font_manager

        font_manager.fontManager.addfont(font_path)
        families.insert(0, font_manager.FontProperties(fname=font_path).get_name())

    with (
        rc_context({"font.family": families, "axes.unicode_minus": False}),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # missing-glyph warnings when no CJK font exists
        fig = Figure(figsize=(12, 4.2), dpi=100)
        FigureCanvasAgg(fig)
        fig.suptitle(labels.title, fontsize=14)
        ax_kind, ax_cat, ax_dead = fig.subplots(1, 3)

        def bars(ax, names: list[str], values: list[float], color: str, title: str) -> None:  # type: ignore[no-untyped-def]
            ax.set_title(title, fontsize=11)
            if not values:
                ax.text(0.5, 0.5, labels.no_data, ha="center", va="center", transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
                return
            positions = list(range(len(names)))
            ax.barh(positions, values, color=color, height=0.6)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_yticks(positions, names)
            ax.invert_yaxis()
            for pos, value in zip(positions, values, strict=True):
                ax.text(value, pos, f" {value:g}", va="center", fontsize=9)

        kinds = [k for k in TicketKind if report.by_kind[k]]
        bars(
            ax_kind,
            [labels.kinds[k] for k in kinds],
            [report.by_kind[k] for k in kinds],
            "#4C78A8",
            labels.by_kind_title,
        )
        categories = [c for c in RepairCategory if report.by_category[c]]
        bars(
            ax_cat,
            [labels.categories[c] for c in categories],
            [report.by_category[c] for c in categories],
            "#F58518",
            labels.by_category_title,
        )
        shares = [(k, s.share) for k, s in report.deadlines.items() if s.share is not None]
        bars(
            ax_dead,
            [labels.deadlines[k] for k, _ in shares],
            [round(100 * (share or 0), 1) for _, share in shares],
            "#54A24B",
            labels.deadlines_title,
        )
        if shares:
            ax_dead.set_xlim(0, 110)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()
