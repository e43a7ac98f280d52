"""What the move-in chat steps accept. No database: the steps and their tests read
the rules from here.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from core.invitations import CODE_LENGTH

# Letters only (no digits, slashes or markup), 2 to 60 characters: a name as on an
# ID card, short enough for a card line. Family members without Telegram too.
_NAME_OK = re.compile(r"^[^\d/@#<>{}\[\]\\|=+*^$%&]{2,60}$")

# Free text that a person most likely meant as an invitation code: two halves of
# five letters or digits, optionally split by a space or a dash.
_HALF = CODE_LENGTH // 2
LOOKS_LIKE_CODE = re.compile(rf"^\s*[A-Za-z0-9]{{{_HALF}}}[\s-]?[A-Za-z0-9]{{{_HALF}}}\s*$")

# A lease end further ahead than this is a typo, not a lease.
LEASE_MAX_YEARS_AHEAD = 30

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def is_plain_name(text: str) -> bool:
    """Whether ``text`` is acceptable as a name as it stands (e.g. a Telegram name
    offered as a suggestion)."""
    return bool(_NAME_OK.match(text))


def clean_name(text: str) -> str | None:
    """A typed name with its spaces tidied, or None when it is not a name."""
    name = " ".join(text.split())
    if name.startswith("/") or not is_plain_name(name):
        return None
    return name


def parse_date(text: str) -> date | None:
    """``2027-06-30``, ``2027/6/30``, ``2027.06.30`` or ``2027年6月30日``."""
    cleaned = text.strip().replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(cleaned)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def lease_end_problem(day: date, today: date) -> Literal["past", "too_far"] | None:
    """Why ``day`` cannot be a lease end seen on ``today`` (the community's date)."""
    if day <= today:
        return "past"
    if day.year > today.year + LEASE_MAX_YEARS_AHEAD:
        return "too_far"
    return None


def acceptable_document(mime_type: str | None) -> bool:
    """A file sent as a document counts as a proof document when it is an image or a
    PDF (photos are always fine)."""
    mime = (mime_type or "").lower()
    return mime.startswith("image/") or mime == "application/pdf"


PHONE_MAX = 32  # Person.phone


def shared_phone(number: str) -> str:
    """A number from Telegram's contact button, in international form (Telegram
    leaves out the ``+``)."""
    phone = number.strip()
    if not phone.startswith("+"):
        phone = "+" + phone
    return phone[:PHONE_MAX]


# Community.config key: owners joining with a letterbox invitation apply instead (ID
# and ownership document), and the office confirms with one tap. Tenants and
# family members still join at once.
OWNER_REVIEW_KEY = "owner_invitations_reviewed"


def owners_reviewed(config: dict[str, object] | None) -> bool:
    """Whether a community (its ``config``) has the office confirm invited owners."""
    return bool((config or {}).get(OWNER_REVIEW_KEY))
