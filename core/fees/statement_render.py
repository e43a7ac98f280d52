"""A statement as the reader gets it: the chat message, the PDF and the chart (PNG),
in the reader's language."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from typing import Any

from core.fees.documents import chart_font_properties, render_pdf, render_template
from core.fees.models import (
    Direction,
)
from core.fees.statement import ADJUSTMENTS, LATE_FEES, PARKING, StatementData
from core.formatting import fmt_date, fmt_datetime, fmt_money

# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedStatement:
    text: str
    pdf_html: str
    filename: str
    title: str
    chart_data: dict[str, object]

    def pdf(self) -> bytes | None:
        return render_pdf(self.pdf_html, title=self.title)

    def chart(self) -> bytes | None:
        return render_chart(self.chart_data)


def render_statement(
    data: StatementData, *, locale: str, translations: gettext.NullTranslations
) -> RenderedStatement:
    def money(minor: int) -> str:
        return fmt_money(minor, data.currency, locale)

    labels = category_labels(translations)
    _ = translations.gettext
    item_label = {
        LATE_FEES: _("Late fees"),
        ADJUSTMENTS: _("Adjustments"),
        PARKING: _("Temporary parking"),
    }
    income = [
        {
            "name": item_label.get(r.name, r.name),
            "billed": money(r.billed_minor),
            "collected": money(r.collected_minor),
        }
        for r in data.income
    ]
    context = {
        "d": data,
        "income": income,
        "billed": money(data.billed_minor),
        "collected": money(data.collected_minor),
        "rate": f"{data.collection_rate * 100:.1f}%",
        "received": money(data.received_minor),
        "received_by_method": [
            {"method": m, "amount": money(a)} for m, a in sorted(data.received_by_method.items())
        ],
        "refunded": money(data.refunded_minor) if data.refunded_minor else None,
        "expenses": [
            {"category": labels.get(c, c), "amount": money(a)}
            for c, a in sorted(data.expenses_by_category.items(), key=lambda kv: -kv[1])
        ],
        "expenses_total": money(data.expenses_minor),
        "fund_opening": money(data.fund_opening_minor),
        "fund_closing": money(data.fund_closing_minor),
        "fund_movements": [
            {
                "date": fmt_date(m.occurred_on, locale),
                "incoming": m.direction == Direction.IN.value,
                "category": labels.get(m.category, m.category),
                "description": m.description,
                "amount": money(m.amount_minor),
            }
            for m in data.fund_movements
        ],
        "start": fmt_date(data.start, locale),
        "end": fmt_date(data.last_day, locale),
        "as_of": fmt_datetime(data.as_of, data.timezone, locale),
    }
    text = render_template("statement.message.j2", translations, locale, **context)
    html = render_template("statement.pdf.j2", translations, locale, **context)
    chart_data: dict[str, object] = {
        "title": _("{community}: {start} – {end}").format(
            community=data.community_name, start=context["start"], end=context["end"]
        ),
        "income_title": _("Income by fee item"),
        "billed_label": _("Billed"),
        "collected_label": _("Collected"),
        "expenses_title": _("Expenses by category"),
        "income": [
            (item_label.get(r.name, r.name), r.billed_minor / 100, r.collected_minor / 100)
            for r in data.income
        ],
        "expenses": [
            (labels.get(c, c), a / 100)
            for c, a in sorted(data.expenses_by_category.items(), key=lambda kv: -kv[1])
        ],
        "currency": data.currency,
    }
    return RenderedStatement(
        text=text,
        pdf_html=html,
        filename=f"accounts-{data.start:%Y%m}-{data.last_day:%Y%m}.pdf",
        title=f"{data.community_name} {data.start:%Y-%m} – {data.last_day:%Y-%m}",
        chart_data=chart_data,
    )


def category_labels(translations: gettext.NullTranslations) -> dict[str, str]:
    _ = translations.gettext
    return {
        "cleaning": _("Cleaning"),
        "security": _("Security"),
        "greening": _("Greenery"),
        "repairs": _("Repairs and maintenance"),
        "utilities": _("Shared water and power"),
        "staff": _("Staff wages"),
        "admin": _("Office and administration"),
        "insurance": _("Insurance"),
        "other": _("Other"),
        "deposit": _("Fund deposits"),
        "interest": _("Interest"),
        "common_income": _("Income from shared property"),
        "elevator": _("Elevators"),
        "roof": _("Roofs and waterproofing"),
        "pipes": _("Pipes"),
        "fire": _("Fire safety"),
        "facade": _("Facades"),
    }


def render_chart(chart: dict[str, object]) -> bytes | None:
    """Two horizontal bar charts (income billed/collected, expenses) as a PNG; a
    side with nothing to show has no panel (never an empty one with a ±0.04 axis)."""
    fig = chart_figure(chart)
    if fig is None:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_figure(chart: dict[str, object]) -> Any:
    """The chart's matplotlib Figure: one panel per side that has rows, or None."""
    from matplotlib.figure import Figure

    income = list(chart["income"])  # type: ignore[call-overload]
    expenses = list(chart["expenses"])  # type: ignore[call-overload]
    if not income and not expenses:
        return None
    font = chart_font_properties()
    panels = int(bool(income)) + int(bool(expenses))
    fig = Figure(figsize=(8, 6.5 if panels == 2 else 3.6), dpi=110)
    axes = list(fig.subplots(panels, 1, squeeze=False)[:, 0])
    kw = {"fontproperties": font} if font is not None else {}
    if income:
        ax = axes.pop(0)
        names = [str(n) for n, _, _ in income][::-1]
        billed = [float(b) for _, b, _ in income][::-1]
        collected = [float(c) for _, _, c in income][::-1]
        ys = list(range(len(names)))
        ax.barh(
            [y + 0.2 for y in ys], billed, height=0.4, color="#9ecae1", label=chart["billed_label"]
        )
        ax.barh(
            [y - 0.2 for y in ys],
            collected,
            height=0.4,
            color="#3182bd",
            label=chart["collected_label"],
        )
        ax.set_yticks(ys)
        ax.set_yticklabels(names, **kw)
        ax.set_title(str(chart["income_title"]), **kw)
        ax.legend(prop=font) if font is not None else ax.legend()
    if expenses:
        ax2 = axes.pop(0)
        enames = [str(n) for n, _ in expenses][::-1]
        evalues = [float(v) for _, v in expenses][::-1]
        ax2.barh(list(range(len(enames))), evalues, color="#e6550d")
        ax2.set_yticks(list(range(len(enames))))
        ax2.set_yticklabels(enames, **kw)
        ax2.set_title(str(chart["expenses_title"]), **kw)
    for a in fig.axes:
        a.set_xlabel(str(chart["currency"]))
        a.grid(axis="x", alpha=0.3)
    fig.suptitle(str(chart["title"]), **kw)
    fig.tight_layout()
    return fig
