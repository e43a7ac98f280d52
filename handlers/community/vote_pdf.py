"""A vote's result as a PDF tally and a chart: the question, the rule applied, turnout and the
three choices by units and by area, passed or not — in the reader's locale, laid
out by the fees area's PDF renderer (a CJK font; None without one)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from html import escape

from aiogram.utils.i18n import gettext as _

from core.community.models import Vote, VoteChoice
from core.community.tally import Tally
from core.fees.documents import render_pdf
from core.surveys.chart import Bars, render_bars
from handlers.community.vote_views import choice_label, matter_label, rule_text, turnout_lines


def tally_html(vote: Vote, t: Tally) -> str:
    verdict = _("✅ PASSED") if t.passed else _("❌ NOT PASSED")
    rows = [
        (_("Entitled"), t.eligible_owners, t.eligible_units, t.eligible_area),
        (_("Took part"), t.voted_owners, t.voted_units, t.voted_area),
        (choice_label(VoteChoice.AGREE), t.agree_owners, t.agree_units, t.agree_area),
        (choice_label(VoteChoice.AGAINST), t.against_owners, t.against_units, t.against_area),
        (choice_label(VoteChoice.ABSTAIN), t.abstain_owners, t.abstain_units, t.abstain_area),
    ]
    body = "".join(
        f"<tr><td>{escape(label)}</td><td>{owners}</td><td>{units}</td><td>{area}</td></tr>"
        for label, owners, units, area in rows
    )
    title = _("Owners' vote #{id}: result").format(id=vote.id)
    head = (_("Units and area"), _("Owners"), _("Units"), _("Area (m²)"))
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    turnout = turnout_lines(t)
    paragraphs = (
        vote.question,
        matter_label(vote.matter),
        rule_text(vote.matter),
        turnout[0],
        turnout[2],
    )
    return (
        f"<h1>{escape(title)}</h1>"
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
        + f"<h2>{escape(verdict)}</h2>"
    )


def _pct(part: Decimal | int, whole: Decimal | int) -> float:
    return float(Decimal(part) * 100 / Decimal(whole)) if whole else 0.0


async def tally_chart(vote: Vote, t: Tally) -> bytes:
    """Turnout and agreement by area and by owners (%), against the ⅔ line."""
    bars = Bars(
        title=_("Owners' vote #{id}: result").format(id=vote.id),
        rows=[
            (_("Turnout by area"), _pct(t.voted_area, t.eligible_area)),
            (_("Turnout by owners"), _pct(t.voted_owners, t.eligible_owners)),
            (_("Agree, of the area taking part"), _pct(t.agree_area, t.voted_area)),
            (_("Agree, of the owners taking part"), _pct(t.agree_owners, t.voted_owners)),
        ],
        limit=100,
        line=200 / 3,
        line_label="⅔",
        value_format="{:.1f}%",
    )
    return await asyncio.to_thread(render_bars, bars)


async def tally_pdf(vote: Vote, t: Tally) -> bytes | None:
    html = tally_html(vote, t)
    return await asyncio.to_thread(render_pdf, html, title=f"vote-{vote.id}")
