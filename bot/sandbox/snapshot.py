"""Keep the emulated Telegram between sandbox runs.

The sandbox's database survives a restart, so Telegram must too: a ticket
remembers its forum topic, a review card its message id. The emulator keeps
its world in memory; this module writes the parts that matter (people, chats
with their messages and topics, files, payments, command menus) to
``telegram.pickle`` in the sandbox's data directory — every few seconds while
something changes and once more on shutdown — and puts them back on start.

The file is written by this process into its own data directory and read only
from there. A snapshot taken by a different version of the emulator's state
model is ignored (the world then starts empty and the cast is recreated).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Any

from bot.emulator import Emulator
from bot.emulator import state as emulator_state

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "telegram.pickle"
# World fields worth keeping; callbacks and pre-checkouts in flight are not.
_FIELDS = (
    "users",
    "chats",
    "files",
    "payments",
    "invoice_links",
    "commands",
    "default_menu_button",
    "bot_texts",
    "next_file_number",
)


def _schema() -> str:
    """Fingerprint of the emulator's state model: a pickle only fits the same one."""
    source = Path(emulator_state.__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def save(emulator: Emulator, path: Path) -> None:
    world = emulator.core.world
    payload: dict[str, Any] = {
        "schema": _schema(),
        "bot_id": world.bot.id,
        "world": {name: getattr(world, name) for name in _FIELDS},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def restore(emulator: Emulator, path: Path) -> bool:
    """Put a saved world back into a fresh emulator; False when there is none that fits."""
    if not path.exists():
        return False
    try:
        with path.open("rb") as fh:
            payload = pickle.load(fh)  # noqa: S301 - our own file in our own data directory
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("the saved Telegram state cannot be read (%s); starting empty", exc)
        return False
    world = emulator.core.world
    if (
        not isinstance(payload, dict)
        or payload.get("schema") != _schema()
        or payload.get("bot_id") != world.bot.id
    ):
        log.warning("the saved Telegram state is from another version; starting empty")
        return False
    for name, value in payload["world"].items():
        if name in _FIELDS:
            setattr(world, name, value)
    return True
