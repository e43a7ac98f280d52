"""The accounts chart (issue 21 item 22): a half-year without expenses shows no
empty expenses panel (once a −0.04…0.04 axis); with both sides, two panels."""

from __future__ import annotations

from core.fees.statement_render import chart_figure, render_chart

CHART: dict[str, object] = {
    "title": "Sunny Garden: Jul 1 – Dec 31",
    "income_title": "Income by fee item",
    "billed_label": "Billed",
    "collected_label": "Collected",
    "expenses_title": "Expenses by category",
    "income": [("Property fee", 1200.0, 900.0)],
    "expenses": [],
    "currency": "CNY",
}


def test_no_expenses_no_expenses_panel():
    fig = chart_figure(CHART)
    assert [a.get_title() for a in fig.axes] == ["Income by fee item"]
    assert render_chart(CHART)[:4] == b"\x89PNG"


def test_both_sides_two_panels_and_nothing_no_chart():
    both = {**CHART, "expenses": [("Cleaning", 300.0)]}
    assert [a.get_title() for a in chart_figure(both).axes] == [
        "Income by fee item",
        "Expenses by category",
    ]
    only_spent = {**CHART, "income": [], "expenses": [("Cleaning", 300.0)]}
    assert [a.get_title() for a in chart_figure(only_spent).axes] == ["Expenses by category"]
    assert render_chart({**CHART, "income": []}) is None
