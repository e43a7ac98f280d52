"""A horizontal bar chart as PNG bytes, for survey results and a vote's tally.

Drawn with matplotlib's object API (no pyplot state: safe in a worker thread);
labels use the CJK font the PDFs use (:func:`core.fees.documents.cjk_font`), so
Chinese reads; without one the glyphs may show as boxes, the numbers still read.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Bars:
    title: str
    rows: list[tuple[str, float]]  # label, value
    limit: float  # the axis' end (5 for ratings, 100 for percentages)
    line: float | None = None  # a threshold marked across the bars
    line_label: str = ""
    value_format: str = "{:g}"


def render_bars(bars: Bars) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from core.fees.documents import chart_font_properties

    font = chart_font_properties()
    text_font = {"fontproperties": font} if font is not None else {}
    height = 1.2 + 0.45 * max(len(bars.rows), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs without a CJK font
        fig = Figure(figsize=(8, height), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        ax.set_title(bars.title, fontsize=13, **text_font)
        positions = list(range(len(bars.rows)))
        values = [value for _, value in bars.rows]
        ax.barh(positions, values, color="#4C78A8", height=0.6)
        ax.set_yticks(positions)
        ax.set_yticklabels([label for label, _ in bars.rows], **text_font)
        ax.invert_yaxis()
        ax.set_xlim(0, bars.limit * 1.12)
        for pos, value in zip(positions, values, strict=True):
            ax.text(value, pos, " " + bars.value_format.format(value), va="center", fontsize=9)
        if bars.line is not None:
            ax.axvline(bars.line, color="#E45756", linestyle="--", linewidth=1)
            ax.text(bars.line, -0.7, bars.line_label, color="#E45756", fontsize=8, **text_font)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()
