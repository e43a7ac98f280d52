"""The keys a gate agent holds instead of the deployment's secret key (decision 0025).

- **The agent's secret** (``gs_…``), one per agent and generation: HKDF of the secret
  key and the agent's id, as the door secrets are derived (:mod:`access.keys`). It is
  shown once by ``courtyard gate-agents add`` / ``rotate-secret`` and given to the box;
  it seals the replica on disk, and the server seals what it sends the agent with it
  (the door secrets, the community's credential key). A new generation makes the old
  secret useless.
- **The community's credential key**: HKDF of the secret key and the community's id.
  Every pass and terminal key of the community is also hashed with it when issued
  (``offline_*_hash``), so the agents of that community can check a typed code, a QR
  or a terminal key without the deployment's key — and no agent can check another
  community's.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from access.credentials import hash_api_key, hash_code, hash_token
from access.keys import derive_key

AGENT_SECRET_PREFIX = "gs_"  # noqa: S105 — a prefix, not a secret


def community_credential_key(secret_key: str, community_id: int) -> str:
    label = f"courtyard/access/offline-credentials/{community_id}/v1".encode()
    return derive_key(secret_key, label).hex()


def agent_secret(secret_key: str, agent_id: int, generation: int) -> str:
    label = f"courtyard/access/agent/{agent_id}/secret/v{generation}".encode()
    return AGENT_SECRET_PREFIX + derive_key(secret_key, label).hex()


def offline_code_hash(secret_key: str, community_id: int, code: str) -> str:
    return hash_code(community_credential_key(secret_key, community_id), code)


def offline_token_hash(secret_key: str, community_id: int, token: str) -> str:
    return hash_token(community_credential_key(secret_key, community_id), token)


def offline_key_hash(secret_key: str, community_id: int, api_key: str) -> str:
    return hash_api_key(community_credential_key(secret_key, community_id), api_key)


def _transfer_key(secret: str) -> AESGCM:
    return AESGCM(derive_key(secret, b"courtyard/access/agent/transfer/v1"))


def seal_for_agent(secret: str, body: dict[str, Any]) -> str:
    """``body`` sealed under the agent's secret (hex), for the feed."""
    nonce = os.urandom(12)
    return (nonce + _transfer_key(secret).encrypt(nonce, json.dumps(body).encode(), b"feed")).hex()


def open_from_server(secret: str, sealed: str) -> dict[str, Any]:
    """What :func:`seal_for_agent` sealed; ``InvalidTag`` under another secret."""
    raw = bytes.fromhex(sealed)
    return dict(json.loads(_transfer_key(secret).decrypt(raw[:12], raw[12:], b"feed")))
