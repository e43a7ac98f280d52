"""Door-driver secrets at rest: an MQTT password or a relay's bearer token is stored
sealed, never as plain text in ``gates.driver_config``.

Whoever holds such a secret can open the door without any pass, so a copy of the
database (a backup, a dump handed to support) must not carry it. The key is derived
from the application's secret key with HKDF-SHA256 and a label of its own; each value
is sealed with AES-256-GCM and the setting's name as associated data, so a sealed
password cannot be moved into the token field. Stored form: ``"sealed:v1:<base64>"``.

Plain values written before sealing existed are still read, and ``courtyard gate
seal-secrets`` seals them in place.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from access.doors.base import DoorConfigError
from access.keys import derive_key

#: Settings of any driver that are secrets.
SECRET_SETTINGS = frozenset({"password", "token"})
PREFIX = "sealed:v1:"
_INFO = b"courtyard/access/doors/settings-key/v1"
_NONCE = 12


def _key(secret_key: str) -> bytes:
    return derive_key(secret_key, _INFO)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal_driver_config(config: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """A copy of ``config`` with its secret settings sealed (already sealed ones kept)."""
    sealed = dict(config)
    for name in SECRET_SETTINGS & config.keys():
        value = config[name]
        if value is None or value == "" or is_sealed(value):
            continue
        nonce = os.urandom(_NONCE)
        box = AESGCM(_key(secret_key)).encrypt(nonce, str(value).encode(), name.encode())
        sealed[name] = PREFIX + base64.urlsafe_b64encode(nonce + box).decode("ascii")
    return sealed


def open_driver_config(config: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """A copy of ``config`` with its sealed settings opened, for building the driver.

    Raises :class:`DoorConfigError` when a value does not open with this key (the
    secret key was changed): the door then fails closed and staff are alerted.
    """
    opened = dict(config)
    for name in SECRET_SETTINGS & config.keys():
        value = config[name]
        if not is_sealed(value):
            continue
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) :].encode("ascii"))
            plain = AESGCM(_key(secret_key)).decrypt(raw[:_NONCE], raw[_NONCE:], name.encode())
        except (InvalidTag, ValueError) as exc:
            raise DoorConfigError(
                f"the door's {name} does not open with this secret key; set it again"
            ) from exc
        opened[name] = plain.decode()
    return opened


def redacted(config: dict[str, Any]) -> dict[str, Any]:
    """For display: secret settings as ``***``."""
    return {k: ("***" if k in SECRET_SETTINGS and v else v) for k, v in config.items()}
