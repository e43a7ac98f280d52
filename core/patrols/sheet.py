"""The printable checkpoint sheet: one QR code per checkpoint, six to an A4 page.

The caller passes the texts already translated (this module knows no language)
and the links; CPU-bound (font subsetting, PNGs): call it in a worker thread.
Without a CJK font (see :func:`core.fees.documents.cjk_font`) it returns None.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

from core.fees.documents import cjk_font

COLUMNS, ROWS = 2, 3
CELL_W, CELL_H = 95.0, 90.0
MARGIN_X, MARGIN_Y = 10.0, 22.0
QR_MM = 55.0


@dataclass(frozen=True)
class SheetEntry:
    title: str  # "#3 North gate"
    place: str
    note: str  # "Location and photo asked" and the like
    link: str


def _qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=2)
    return buffer.getvalue()


def render_sheet(heading: str, footer: str, entries: list[SheetEntry]) -> bytes | None:
    font = cjk_font()
    if font is None:
        return None
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(heading)
    pdf.set_creator("Courtyard")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.collection_index)
    pdf.set_auto_page_break(auto=False)
    per_page = COLUMNS * ROWS
    for index, entry in enumerate(entries):
        slot = index % per_page
        if slot == 0:
            pdf.add_page()
            pdf.set_font("cjk", size=14)
            pdf.set_xy(MARGIN_X, 8)
            pdf.cell(190, 8, heading, align="C")
            pdf.set_font("cjk", size=8)
            pdf.set_xy(MARGIN_X, 285)
            pdf.cell(190, 5, footer, align="C")
        x = MARGIN_X + (slot % COLUMNS) * CELL_W
        y = MARGIN_Y + (slot // COLUMNS) * CELL_H
        pdf.rect(x + 1, y + 1, CELL_W - 2, CELL_H - 2)
        pdf.image(io.BytesIO(_qr_png(entry.link)), x=x + (CELL_W - QR_MM) / 2, y=y + 4, w=QR_MM)
        pdf.set_font("cjk", size=12)
        pdf.set_xy(x + 3, y + QR_MM + 6)
        pdf.cell(CELL_W - 6, 7, entry.title[:40], align="C")
        pdf.set_font("cjk", size=9)
        pdf.set_xy(x + 3, y + QR_MM + 14)
        pdf.cell(CELL_W - 6, 5, entry.place[:60], align="C")
        pdf.set_xy(x + 3, y + QR_MM + 20)
        pdf.cell(CELL_W - 6, 5, entry.note, align="C")
    return bytes(pdf.output())
