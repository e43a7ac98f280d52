"""The yearly property-service survey, a ready template.

The source documents ask the office to collect the owners' opinion of its service
in writing every year (每年要采取书面形式向业主征询对物业管理服务的意见) and list the
service areas it answers for: security (保安), cleaning (保洁), greening (绿化),
repairs (维修), fees (收费), the shared facilities (公共设施). Each area is rated
1–5; then whether to keep the service company, which areas come first, and a
free-text question. The words of each key are translated where they are shown
(``handlers/surveys/texts.py``), so every resident reads their own language.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.surveys.models import QuestionKind

AREAS = ("security", "cleaning", "greening", "repairs", "fees", "facilities")


@dataclass(frozen=True)
class QuestionSpec:
    """A question to open: a template's (``key``, words translated where read) or one
    staff wrote (``key`` None, its ``text`` and ``options`` as written)."""

    key: str | None
    kind: QuestionKind
    options: tuple[str, ...] = ()
    text: str = ""


YEARLY: tuple[QuestionSpec, ...] = (
    *(QuestionSpec(area, QuestionKind.RATING) for area in AREAS),
    QuestionSpec("renew", QuestionKind.SINGLE, ("yes", "no", "unsure")),
    QuestionSpec("priorities", QuestionKind.MULTI, AREAS),
    QuestionSpec("comments", QuestionKind.TEXT),
)
