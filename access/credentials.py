"""Gate credentials: 8-digit keypad codes, QR tokens, share-link keys and gate API keys.

Everything is generated with :mod:`secrets` and stored only as HMAC-SHA256 keyed
by the deployment's secret key, so a database dump reveals nothing usable and,
without the key, cannot even be brute-forced offline (10^8 codes would be trivial
to enumerate against a plain hash).

A share link (``t.me/<bot>?start=v_<key>``) lets a visitor fetch their code and
QR without registering. The pass stores the code and token sealed with AES-GCM
under a key derived from both the link key and the secret key: the database
alone — or the database and the secret key — cannot open it; only the link can.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import Pass, PassStatus

CODE_DIGITS = 8
CODE_SPACE = 10**CODE_DIGITS
# 24 random bytes: 192 bits, 32 URL-safe characters (QR version 3, easy to scan).
TOKEN_BYTES = 24
# 16 random bytes: 128 bits, 22 characters, so "v_" + key fits Telegram's 64-char
# start parameter with room to spare.
SHARE_BYTES = 16
API_KEY_BYTES = 32
SHARE_PREFIX = "v_"

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_SHARE_RE = re.compile(r"^[A-Za-z0-9_-]{16,60}$")


class CredentialError(ValueError):
    """A sealed credential could not be opened (wrong link or tampered data)."""


def new_code() -> str:
    """Eight decimal digits, uniformly random, leading zeros kept."""
    return f"{secrets.randbelow(CODE_SPACE):0{CODE_DIGITS}d}"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_share_key() -> str:
    return secrets.token_urlsafe(SHARE_BYTES)


def new_api_key() -> str:
    return "gk_" + secrets.token_urlsafe(API_KEY_BYTES)


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 over ``purpose:value``; the purpose keeps the kinds apart."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def hash_code(secret_key: str, code: str) -> str:
    return keyed_hash(secret_key, "code", code)


def hash_token(secret_key: str, token: str) -> str:
    return keyed_hash(secret_key, "qr", token)


def hash_share_key(secret_key: str, share_key: str) -> str:
    return keyed_hash(secret_key, "share", share_key)


def hash_api_key(secret_key: str, api_key: str) -> str:
    return keyed_hash(secret_key, "gate-api", api_key)


def api_key_matches(secret_key: str, api_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(secret_key, api_key), stored_hash)


def normalize_code(raw: str) -> str:
    """What a keypad or a person typed, without spaces or dashes."""
    return re.sub(r"[\s-]", "", raw)


def is_code_shaped(code: str) -> bool:
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()


def is_token_shaped(token: str) -> bool:
    return bool(_TOKEN_RE.match(token))


def is_share_key_shaped(share_key: str) -> bool:
    return bool(_SHARE_RE.match(share_key))


def _seal_key(secret_key: str, share_key: str) -> bytes:
    return hmac.new(
        secret_key.encode(), f"share-seal:{share_key}".encode(), hashlib.sha256
    ).digest()


def seal_credentials(secret_key: str, share_key: str, code: str, token: str) -> bytes:
    nonce = secrets.token_bytes(12)
    plain = f"{code}\n{token}".encode()
    return nonce + AESGCM(_seal_key(secret_key, share_key)).encrypt(nonce, plain, b"pass")


def open_credentials(secret_key: str, share_key: str, blob: bytes) -> tuple[str, str]:
    """The (code, token) sealed in ``blob``; :class:`CredentialError` if it will not open."""
    if len(blob) < 13:
        raise CredentialError("sealed credentials too short")
    try:
        plain = AESGCM(_seal_key(secret_key, share_key)).decrypt(blob[:12], blob[12:], b"pass")
    except InvalidTag as exc:
        raise CredentialError("sealed credentials do not open with this link") from exc
    code, _, token = plain.decode().partition("\n")
    return code, token


async def code_in_use(session: AsyncSession, code_hash: str) -> bool:
    found = await session.scalar(
        select(Pass.id).where(Pass.code_hash == code_hash, Pass.status == PassStatus.ACTIVE)
    )
    return found is not None


async def allocate_code(session: AsyncSession, secret_key: str, attempts: int = 20) -> str:
    """A fresh code no active pass holds.

    The partial unique index on active codes backs this check against a
    concurrent issuer; the caller retries on that IntegrityError. With 10^8
    codes, even 100,000 active passes make a clash a 1-in-1,000 event per draw.
    """
    for _ in range(attempts):
        code = new_code()
        if not await code_in_use(session, hash_code(secret_key, code)):
            return code
    raise RuntimeError("could not find a free pass code")
