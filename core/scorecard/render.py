"""The scorecard as a chart (PNG) and a PDF, for residents.

The caller passes every word already translated (this module knows no
language). The chart is one horizontal bar per measured share (0–100 %), a
measure with nothing to measure is left out and named "—" in the PDF's lines.
matplotlib's object API (no pyplot state) and fpdf2 with the CJK font the
receipts use (:func:`core.fees.documents.cjk_font`); both CPU-bound: call them in
a worker thread. Without a CJK font the PDF is None and the chart is labelled
with what glyphs exist (the caller still sends the text).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from core.fees.documents import cjk_font


@dataclass(frozen=True)
class ScorecardPicture:
    title: str
    bars: list[tuple[str, float]]  # (label, percent) of the measured shares
    no_data: str
    lines: list[str]  # every figure as a line of text, for the PDF
    footer: str


def render_chart(picture: ScorecardPicture) -> bytes:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families = ["DejaVu Sans"]
    font = cjk_font()
    if font is not None:
        from matplotlib import font_manager

        font_manager.fontManager.addfont(font.path)
        families.insert(0, font_manager.FontProperties(fname=font.path).get_name())
    with (
        rc_context({"font.family": families, "axes.unicode_minus": False}),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        fig = Figure(figsize=(8, 0.6 * max(len(picture.bars), 3) + 1.2), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        ax.set_title(picture.title, fontsize=13)
        if not picture.bars:
            ax.text(0.5, 0.5, picture.no_data, ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            positions = list(range(len(picture.bars)))
            values = [value for _, value in picture.bars]
            colors = ["#54A24B" if v >= 95 else "#F58518" if v >= 80 else "#E45756" for v in values]
            ax.barh(positions, values, color=colors, height=0.6)
            ax.set_yticks(positions, [label for label, _ in picture.bars])
            ax.invert_yaxis()
            ax.set_xlim(0, 110)
            for pos, value in zip(positions, values, strict=True):
                ax.text(value, pos, f" {value:.0f}%", va="center", fontsize=9)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def render_pdf(picture: ScorecardPicture, chart_png: bytes) -> bytes | None:
    font = cjk_font()
    if font is None:
        return None
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(picture.title)
    pdf.set_creator("Courtyard")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.collection_index)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, picture.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=11)
    for line in picture.lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.image(io.BytesIO(chart_png), w=180)
    pdf.ln(4)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 5, picture.footer, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
