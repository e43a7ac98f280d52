"""Encryption of face templates at rest.

A template is biometric data (PIPL art. 28, GDPR art. 9): the database only ever holds
it encrypted. The key is derived from the application's secret key with HKDF-SHA256 and
a fixed label, so rotating that secret makes every stored template unreadable (they are
then re-enrolled), and no other use of the secret can produce the same key.

Blob format, version 1::

    0x01 | nonce (12 bytes) | AES-256-GCM( dim:uint16 LE | dim x float32 LE ) + tag (16)

The version byte and the caller's ``context`` are authenticated as associated data: a
blob cannot be downgraded, and when the caller passes e.g. the template's row id as
``context``, a blob copied onto another person's row fails to decrypt.
"""

from __future__ import annotations

import os
import struct

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from numpy.typing import ArrayLike, NDArray

from access.keys import derive_key

VERSION = 1
_INFO = b"courtyard/access/faces/template-key/v1"
_NONCE = 12
_TAG = 16
_MAX_DIM = 4096  # deepface's largest embedding (VGG-Face) is 4096 floats


class TemplateDecryptionError(ValueError):
    """The blob is malformed, of an unknown version, or the key/context is wrong."""


def _key(secret_key: str) -> bytes:
    return derive_key(secret_key, _INFO)


def encrypt_template(vec: ArrayLike, secret_key: str, *, context: bytes = b"") -> bytes:
    """Encrypt one template (a 1-D float vector) into a versioned blob."""
    v = np.asarray(vec, dtype="<f4")
    if v.ndim != 1 or not 0 < v.shape[0] <= _MAX_DIM:
        raise ValueError(f"a template is a 1-D vector of at most {_MAX_DIM} floats")
    if not np.isfinite(v).all():
        raise ValueError("a template must be finite")
    header = bytes([VERSION])
    nonce = os.urandom(_NONCE)  # random 96-bit nonces: fine far below 2^32 per key
    payload = struct.pack("<H", v.shape[0]) + v.tobytes()
    return header + nonce + AESGCM(_key(secret_key)).encrypt(nonce, payload, header + context)


def decrypt_template(blob: bytes, secret_key: str, *, context: bytes = b"") -> NDArray[np.float32]:
    """Decrypt a blob made by :func:`encrypt_template`; raises on any tampering."""
    if len(blob) < 1 + _NONCE + _TAG + 2:
        raise TemplateDecryptionError("template blob too short")
    if blob[0] != VERSION:
        raise TemplateDecryptionError(f"unknown template blob version {blob[0]}")
    header, nonce, sealed = blob[:1], blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
    try:
        payload = AESGCM(_key(secret_key)).decrypt(nonce, sealed, header + context)
    except InvalidTag:
        raise TemplateDecryptionError("template blob does not decrypt with this key") from None
    (dim,) = struct.unpack_from("<H", payload)
    if len(payload) != 2 + 4 * dim:
        raise TemplateDecryptionError("template blob has an inconsistent length")
    return np.frombuffer(payload, dtype="<f4", offset=2).astype(np.float32)
