"""Checkpoint links: ``t.me/<bot>?start=pc_<id>_<signature>``.

The signature is HMAC-SHA256, keyed with the deployment's secret key, over the
checkpoint id and the checkpoint's random salt (from :mod:`secrets`); nothing
secret is stored. A forged link fails the signature; a link printed before the
sheet was reissued (a new salt) fails it too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

PREFIX = "pc_"
_SHAPE = re.compile(r"^pc_(\d{1,12})_([A-Za-z0-9_-]{22})$")


def new_salt() -> str:
    return secrets.token_urlsafe(16)


def _signature(secret_key: str, checkpoint_id: int, salt: str) -> str:
    message = f"patrols.checkpoint:{checkpoint_id}:{salt}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def checkpoint_payload(secret_key: str, checkpoint_id: int, salt: str) -> str:
    """The ``/start`` payload printed in the checkpoint's QR (at most 64 characters)."""
    return f"{PREFIX}{checkpoint_id}_{_signature(secret_key, checkpoint_id, salt)}"


def parse_payload(payload: str) -> tuple[int, str] | None:
    """(checkpoint id, signature) of a well-shaped payload, else None."""
    match = _SHAPE.match(payload)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def signature_matches(secret_key: str, checkpoint_id: int, salt: str, signature: str) -> bool:
    return hmac.compare_digest(_signature(secret_key, checkpoint_id, salt), signature)
