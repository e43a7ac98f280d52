"""A vote's result as a PDF tally: the question, the rule applied, turnout and the
three choices by units and by area, passed or not — in the reader's locale, laid
out by the fees area's PDF renderer (a CJK font; None without one)."""

from __future__ import annotations

import asyncio
from html import escape

from aiogram.utils.i18n import gettext as _

from core.community.models import Vote, VoteChoice
from core.community.tally import Tally
from core.fees.documents import render_pdf
from handlers.community.vote_views import choice_label, matter_label, rule_text


def tally_html(vote: Vote, t: Tally) -> str:
    verdict = _("✅ PASSED") if t.passed else _("❌ NOT PASSED")
    rows = [
        (_("Entitled"), t.eligible_units, t.eligible_area),
        (_("Took part"), t.voted_units, t.voted_area),
        (choice_label(VoteChoice.AGREE), t.agree_units, t.agree_area),
        (choice_label(VoteChoice.AGAINST), t.against_units, t.against_area),
        (choice_label(VoteChoice.ABSTAIN), t.abstain_units, t.abstain_area),
    ]
    body = "".join(
        f"<tr><td>{escape(label)}</td><td>{units}</td><td>{area}</td></tr>"
        for label, units, area in rows
    )
    title = _("Owners' vote #{id}: result").format(id=vote.id)
    head = (_("Units and area"), _("Units"), _("Area (m²)"))
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    paragraphs = (vote.question, matter_label(vote.matter), rule_text(vote.matter))
    return (
        f"<h1>{escape(title)}</h1>"
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
        + f"<h2>{escape(verdict)}</h2>"
    )


async def tally_pdf(vote: Vote, t: Tally) -> bytes | None:
    html = tally_html(vote, t)
    return await asyncio.to_thread(render_pdf, html, title=f"vote-{vote.id}")
