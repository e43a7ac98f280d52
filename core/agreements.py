"""The community documents a resident accepts when moving in: the community rules
(业主公约 / 管理规约) and the property service contract (物业服务合同).

They are Jinja2 templates producing Telegram HTML, one file per document and
language::

    templates/documents/default/<locale>/<document>.j2
    templates/documents/communities/<community id>/<locale>/<document>.j2   (override)

The first line of each template declares its version, ``{# version: 2026.1 #}``;
the version and a SHA-256 of the exact rendered text are recorded with each
acceptance (:func:`record_acceptances`), so "which text did they accept" has an
answer even if someone edits a template without bumping the version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Community
from core.movein_models import AgreementAcceptance, AgreementKind

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "documents"
FALLBACK_LOCALE = "zh_Hans"
_VERSION_RE = re.compile(r"\{#-?\s*version:\s*([\w.\-]+)\s*-?#\}")
# Telegram allows 4096 characters per message; leave room for the button text.
MESSAGE_LIMIT = 3800


class AgreementError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RenderedAgreement:
    kind: AgreementKind
    version: str
    locale: str
    text: str  # Telegram HTML
    sha256: str

    def parts(self, limit: int = MESSAGE_LIMIT) -> list[str]:
        """The text in message-sized parts, split between paragraphs."""
        parts: list[str] = []
        current = ""
        for paragraph in self.text.split("\n\n"):
            candidate = f"{current}\n\n{paragraph}" if current else paragraph
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                parts.append(current)
            while len(paragraph) > limit:  # a single huge paragraph: cut at a line
                cut = paragraph.rfind("\n", 0, limit)
                cut = cut if cut > 0 else limit
                parts.append(paragraph[:cut])
                paragraph = paragraph[cut:].lstrip("\n")
            current = paragraph
        if current:
            parts.append(current)
        return parts


def _environment(community_id: int, base: Path) -> Environment:
    search = [str(base / "communities" / str(community_id)), str(base / "default")]
    return Environment(
        loader=FileSystemLoader(search),
        autoescape=True,  # community names and addresses are data, not markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render_agreement(
    community: Community,
    kind: AgreementKind,
    locale: str,
    *,
    today: date,
    unit_label: str = "",
    resident_name: str = "",
    base: Path = TEMPLATES_DIR,
) -> RenderedAgreement:
    env = _environment(community.id, base)
    template = None
    used_locale = locale
    for candidate in (locale, FALLBACK_LOCALE):
        try:
            template = env.get_template(f"{candidate}/{kind.value}.j2")
            used_locale = candidate
            break
        except TemplateNotFound:
            continue
    if template is None or template.filename is None:
        raise AgreementError("template_missing")
    source = Path(template.filename).read_text(encoding="utf-8")
    match = _VERSION_RE.search(source.split("\n", 1)[0])
    if match is None:
        raise AgreementError("version_missing")
    text = template.render(
        community=community,
        today=today,
        unit_label=unit_label,
        resident_name=resident_name,
    ).strip()
    # Collapse runs of blank lines left by template blocks.
    text = re.sub(r"\n{3,}", "\n\n", text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return RenderedAgreement(kind, match.group(1), used_locale, text, digest)


@dataclass(frozen=True)
class Acceptance:
    """What the conversation keeps until the final write."""

    kind: AgreementKind
    version: str
    locale: str
    sha256: str
    accepted_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "version": self.version,
            "locale": self.locale,
            "sha256": self.sha256,
            "accepted_at": self.accepted_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Acceptance:
        return cls(
            AgreementKind(data["kind"]),
            data["version"],
            data["locale"],
            data["sha256"],
            datetime.fromisoformat(data["accepted_at"]),
        )


def accepted(rendered: RenderedAgreement, at: datetime) -> Acceptance:
    return Acceptance(rendered.kind, rendered.version, rendered.locale, rendered.sha256, at)


async def record_acceptances(
    session: AsyncSession,
    *,
    person_id: int,
    community_id: int,
    residency_id: int | None,
    acceptances: list[Acceptance],
) -> None:
    kinds = {a.kind for a in acceptances}
    if kinds != set(AgreementKind):
        raise AgreementError("not_all_accepted")
    for a in acceptances:
        session.add(
            AgreementAcceptance(
                person_id=person_id,
                community_id=community_id,
                residency_id=residency_id,
                document=a.kind,
                version=a.version,
                locale=a.locale,
                content_sha256=a.sha256,
                accepted_at=a.accepted_at,
            )
        )
    await session.flush()
