"""A notice in one or both languages.

Staff write a notice in the language they choose; which one it is is read from
the words: Chinese (zh_Hans) when its Chinese characters are at least a third as
many as its Latin letters (a Chinese character says about what a short English
word does; "Water off in 1栋" stays English), otherwise English.
They may add the same notice in the other language. A resident whose language is
the second one gets it; everyone else gets the words as first written
(docs/decisions/0033-community-events.md).
"""

from __future__ import annotations

import re

LOCALES = ("zh_Hans", "en")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def written_locale(*texts: str) -> str:
    text = "".join(t or "" for t in texts)
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return "zh_Hans" if cjk and cjk * 3 >= latin else "en"


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
