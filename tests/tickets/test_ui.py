"""Pure helpers of the ticket handlers: message sizes, month parsing, topic names."""

from __future__ import annotations

from datetime import date

from core.tickets.report_month import parse_month
from handlers.tickets.sizes import fit_lines, visible_length, with_header


def test_relayed_text_is_cut_on_raw_text_not_on_html():
    header = "💬 <b>Wang</b> (3栋-1201) about #1:"
    text = with_header(header, "a & b " * 1000, 1024)
    assert visible_length(text) == 1024
    assert text.endswith("…") and "&amp;" in text and "&am…" not in text
    assert with_header(header, "") == header


def test_long_lists_drop_whole_lines():
    text = fit_lines([f"<b>#{i}</b> something overdue" for i in range(500)])
    assert visible_length(text) <= 4096
    assert text.endswith("…") and "<b>#0</b>" in text
    assert fit_lines(["a", "b"]) == "a\nb"


def test_month_argument():
    today = date(2026, 11, 1)
    assert parse_month("", today) == date(2026, 11, 1)
    assert parse_month("2026-03", today) == date(2026, 3, 1)
    assert parse_month("2025/12", today) == date(2025, 12, 1)
    assert parse_month("7", today) == date(2026, 7, 1)
    assert parse_month("13", today) is None
    assert parse_month("last month", today) is None
