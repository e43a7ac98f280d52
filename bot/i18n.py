"""Translations: gettext catalogs under ``locales/<locale>/LC_MESSAGES/<domain>.po``.

Each feature area owns one *domain* (one ``.po`` per language), so areas can be
translated independently; at start-up every domain of a locale is compiled in
memory and chained into one catalog. A fresh clone therefore works without a
separate compile step, and a stale ``.mo`` can never shadow the source catalog.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("zh_Hans", "en")


def telegram_to_locale(language_code: str | None, default: str = "zh_Hans") -> str:
    """Map Telegram's IETF ``language_code`` (``zh-hans``, ``zh``, ``en-US``) to ours."""
    if not language_code:
        return default
    code = language_code.lower()
    if code.startswith("zh"):
        return "zh_Hans"
    if code.startswith("en"):
        return "en"
    return "en" if default == "en" else default


def load_catalogs(path: Path = LOCALES_DIR) -> dict[str, gettext.GNUTranslations]:
    """Compile every ``.po`` of every locale in memory, chained per locale."""
    result: dict[str, gettext.GNUTranslations] = {}
    for locale_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        messages_dir = locale_dir / "LC_MESSAGES"
        if not messages_dir.is_dir():
            continue
        chain: gettext.GNUTranslations | None = None
        for po_path in sorted(messages_dir.glob("*.po")):
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=locale_dir.name.replace("_Hans", "_Hans"))
            buf = io.BytesIO()
            write_mo(buf, catalog, use_fuzzy=False)
            buf.seek(0)
            translations = gettext.GNUTranslations(buf)
            if chain is None:
                chain = translations
            else:
                chain.add_fallback(translations)
        if chain is not None:
            result[locale_dir.name] = chain
    return result


def create_i18n(default_locale: str = "zh_Hans") -> I18n:
    """aiogram's I18n with every domain of each locale loaded from the ``.po`` sources.

    Not a subclass: aiogram keeps the "current I18n" in a context variable per
    class, and ``gettext`` looks it up on ``I18n`` itself.
    """
    i18n = I18n(path=LOCALES_DIR, default_locale=default_locale, domain="courtyard")
    i18n.locales = load_catalogs(LOCALES_DIR)
    return i18n


# Kept as a name for type hints across the code base.
CatalogI18n = I18n
