"""Rendering documents: Jinja2 templates in the reader's language, PDFs with a CJK
font, and charts.

Templates live in ``templates/fees/``; text is translated with ``{% trans %}``
from the ``fees`` gettext domain (the caller passes the reader's catalog). A
PDF needs a font with Chinese glyphs: :func:`cjk_font` looks in the usual
places (WenQuanYi Micro Hei first — a TrueType font that subsets several times
faster than Noto CJK's CFF outlines — then Noto Sans CJK). Without one, PDFs
and chart labels degrade gracefully: :func:`render_pdf` returns None, the
message still goes out, and the missing font is logged once.
"""

from __future__ import annotations

import gettext
import glob
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "fees"


@dataclass(frozen=True)
class FontFile:
    path: str
    collection_index: int = 0


# (path, index of the Simplified Chinese face inside a .ttc collection)
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansSC-Regular.otf", 0),
)
FONT_GLOBS = ("/usr/share/fonts/**/*wqy*.tt[cf]", "/usr/share/fonts/**/NotoSansCJK*-Regular.*")


@lru_cache(maxsize=1)
def cjk_font() -> FontFile | None:
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return FontFile(path, index)
    for pattern in FONT_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            index = 2 if "NotoSansCJK" in path and path.endswith(".ttc") else 0
            return FontFile(path, index)
    log.error(
        "no CJK font found: receipts and statements are sent without PDF "
        "(install fonts-wqy-microhei or fonts-noto-cjk)"
    )
    return None


@lru_cache(maxsize=8)
def _environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


def render_template(
    name: str, translations: gettext.NullTranslations, locale: str, **context: Any
) -> str:
    """Render ``templates/fees/<name>`` in ``locale`` with that locale's catalog.

    One environment per locale, so translations installed for one reader are
    never used for another's document.
    """
    env = _environment(locale)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env.get_template(name).render(**context).strip()


def render_pdf(html: str, *, title: str) -> bytes | None:
    """Lay out a small HTML document (headings, paragraphs, tables) as a PDF.

    CPU-bound (font subsetting): call it in a worker thread.
    """
    font = cjk_font()
    if font is None:
        return None
    from fpdf import FPDF, FontFace
    from fpdf.fonts import TextStyle

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Courtyard")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.collection_index)
    # Table headings are always bold in fpdf2's HTML tables (a table's first row is
    # its heading): map "bold" to the same face (statements have tables; receipts
    # don't, so they don't pay for it).
    if "<table" in html or "<th" in html:
        pdf.add_font(
            "cjk", style="B", fname=font.path, collection_font_number=font.collection_index
        )
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("cjk", size=10)
    # One regular face only: bold would load the whole font a second time.
    styles: dict[str, Any] = {
        tag: TextStyle(font_family="cjk", font_style="", font_size_pt=size, t_margin=3, b_margin=2)
        for tag, size in (("h1", 17), ("h2", 13), ("h3", 11))
    }
    for tag in ("b", "strong", "em", "i"):
        styles[tag] = FontFace(emphasis="")
    pdf.write_html(html, font_family="cjk", tag_styles=styles)
    return bytes(pdf.output())


def chart_font_properties() -> Any:
    """Matplotlib font properties with CJK glyphs, or None (labels may show boxes)."""
    font = cjk_font()
    if font is None:
        return None
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=font.path)
