"""Keys derived from the application's secret key, one per purpose.

HKDF-SHA256 with a label of each purpose's own: no two uses of the secret (face
templates, door secrets) can produce the same key, and changing the secret key makes
everything sealed under the old one unreadable.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=16)
def derive_key(secret_key: str, label: bytes) -> bytes:
    """A 256-bit key for ``label``; cached (a re-index opens thousands of blobs)."""
    if not secret_key:
        raise ValueError("the secret key is empty")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        secret_key.encode("utf-8")
    )
