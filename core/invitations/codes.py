"""Invitation codes: 10 characters of Crockford's base32 (50 random bits from
:mod:`secrets`), shown as ``ABCDE-FGHJK``, stored only as an HMAC-SHA256 with the
deployment's secret key; typed codes forgive the usual misreadings; ``/start i_<code>``."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 10
PAYLOAD_PREFIX = "i_"
DEFAULT_VALID_DAYS = 60
DEFAULT_HOUSEHOLD_USES = 6
FAMILY_VALID_DAYS = 7
# Throttle: at most this many wrong codes per account in the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_TYPO = str.maketrans({"I": "1", "L": "1", "O": "0"})
_CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


class InvitationError(Exception):
    """``code``: invalid, expired, revoked, used_up, already_member, throttled,
    unit_gone, role_required, not_owner, end_date_required."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """A typed code as the canonical 10 characters, or None if it cannot be one.

    Spaces and dashes are ignored; I/L and O are read as 1 and 0, the usual
    misreadings of a printed code.
    """
    cleaned = re.sub(r"[\s\-_]", "", text).upper().translate(_TYPO)
    return cleaned if _CODE_RE.match(cleaned) else None


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def hash_code(secret_key: str, code: str) -> str:
    return hmac.new(secret_key.encode(), code.encode(), hashlib.sha256).hexdigest()


def deep_link_payload(code: str) -> str:
    return PAYLOAD_PREFIX + code


def code_from_payload(payload: str | None) -> str | None:
    if not payload or not payload.startswith(PAYLOAD_PREFIX):
        return None
    return normalize_code(payload[len(PAYLOAD_PREFIX) :])
