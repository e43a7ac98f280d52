"""What the sandbox must remember between starts: ``sandbox.json``.

It holds the gates' API keys (shown once by ``create_gate``) and the plain
codes of the letterbox invitations kept for the page, so it is written
readable by this user only.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.blueprint import Language

STATE_FILE = "sandbox.json"
STATE_VERSION = 1


@dataclass
class DemoGate:
    id: int
    name: str
    kind: str
    api_key: str


@dataclass
class DemoInvitation:
    invitation_id: int
    unit: str
    code: str


@dataclass
class SandboxState:
    """Contents of ``sandbox.json``."""

    community_id: int
    language: Language
    admin_chat_id: int
    gates: list[DemoGate] = field(default_factory=list)
    invitations: list[DemoInvitation] = field(default_factory=list)
    # How far the page moved the sandbox's time forward, in seconds.
    clock_offset_s: int = 0
    version: int = STATE_VERSION
    # Not saved: True when this start created the community (a new database).
    fresh: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("fresh")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxState:
        return cls(
            community_id=int(data["community_id"]),
            language="en" if data.get("language") == "en" else "zh_Hans",
            admin_chat_id=int(data["admin_chat_id"]),
            gates=[DemoGate(**g) for g in data.get("gates", [])],
            invitations=[DemoInvitation(**i) for i in data.get("invitations", [])],
            clock_offset_s=int(data.get("clock_offset_s", 0)),
            version=int(data.get("version", STATE_VERSION)),
        )


def load_state(path: Path) -> SandboxState | None:
    try:
        return SandboxState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_state(path: Path, state: SandboxState) -> None:
    """Write atomically, readable by this user only (it holds gate keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state.to_json(), fh, ensure_ascii=False, indent=1)
    tmp.replace(path)
