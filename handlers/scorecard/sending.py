"""The scorecard as residents get it: the message, the chart and the PDF, in one
locale (the caller's i18n context), rendered in a worker thread."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiogram.utils.i18n import gettext as _

from core.scorecard.figures import Scorecard
from core.scorecard.render import render_chart, render_pdf
from handlers.scorecard.texts import scorecard_picture, scorecard_text


@dataclass(frozen=True)
class RenderedScorecard:
    text: str
    chart: bytes
    pdf: bytes | None
    filename: str


async def render_for_residents(
    card: Scorecard, community_name: str, locale: str
) -> RenderedScorecard:
    text = "\n".join(
        [
            scorecard_text(card, locale),
            "",
            _("Every figure is computed from the office's own records; nothing is typed in."),
        ]
    )
    picture = scorecard_picture(card, community_name, locale)
    chart = await asyncio.to_thread(render_chart, picture)
    pdf = await asyncio.to_thread(render_pdf, picture, chart)
    filename = f"scorecard-{card.month:%Y-%m}.pdf"
    return RenderedScorecard(text, chart, pdf, filename)
