"""A community with two gates, a resident (and a second one) and a guard: the real bot
polling the emulator and the real gate API (tests.access.gate_world)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from core.clock import FrozenClock
from tests.access.conftest import START
from tests.access.gate_world import GateWorld, gate_world


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )


@pytest.fixture
async def world(session, settings, emulator) -> AsyncIterator[GateWorld]:
    async with gate_world(session, settings, emulator, FrozenClock(START)) as w:
        yield w


def jpeg_b64() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 120, 40)).save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


async def gate_api(
    w: GateWorld, gate: str, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """The gate's terminal calls the gate API (``body`` bytes go as they are)."""
    headers = {"Authorization": f"Bearer {w.keys[gate]}"}
    kwargs: dict[str, Any] = {"json": body} if not isinstance(body, bytes) else {"data": body}
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, f"{w.api}/v1/gates/{w.gate_ids[gate]}/{path}", headers=headers, **kwargs
        ) as response,
    ):
        return response.status, await response.json()


async def press_data(user: Any, msg: dict[str, Any], data: str) -> dict[str, Any] | None:
    """Press ``data`` on ``msg`` as if its button were still there (a second resident's
    copy of the message, a stale or a forged button): the bot's answer to the press."""
    actions = user._actions
    chat = actions.core.chat(user.id)
    message = actions._message(chat, msg["message_id"])
    return await actions._callback(chat, user.id, message, data, True, 5.0)
