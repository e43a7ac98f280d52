"""A notice in one or both languages.

Staff write a notice in the language they choose; which one it is is read from
the words: any Chinese character makes it Chinese (zh_Hans), otherwise English.
They may add the same notice in the other language. A resident whose language is
the second one gets it; everyone else gets the words as first written
(docs/decisions/0033-community-events.md).
"""

from __future__ import annotations

import re

LOCALES = ("zh_Hans", "en")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def written_locale(*texts: str) -> str:
    return "zh_Hans" if any(_CJK.search(t or "") for t in texts) else "en"


def other_locale(locale: str) -> str:
    return "en" if locale == "zh_Hans" else "zh_Hans"


def words_for(
    locale: str | None,
    title: str,
    body: str,
    alt_locale: str | None,
    alt_title: str | None,
    alt_body: str | None,
) -> tuple[str, str]:
    """The title and text a reader of ``locale`` gets."""
    if alt_body and alt_locale == locale:
        return alt_title or title, alt_body
    return title, body
