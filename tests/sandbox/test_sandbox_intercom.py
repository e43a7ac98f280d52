"""The gate pane's "Call the unit": the page's request reaches the real gate API, the
seeded resident answers in the chat, and the page reads the outcome."""

from __future__ import annotations

import io

import aiohttp
import pytest
from PIL import Image

from bot.sandbox.runtime import Sandbox
from tests.conftest import PG_URL
from tests.sandbox.conftest import api_get as _get
from tests.sandbox.conftest import api_post as _post

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(bool(PG_URL), reason="the sandbox uses its own SQLite database"),
]


async def test_calling_a_unit_from_the_gate_pane(module_sandbox: Sandbox) -> None:
    gate = module_sandbox.state.gates[0]
    _, people = await _get(module_sandbox, "sandbox/api/people")
    resident = next(p for p in people["result"] if p.get("units") and p["id"] == 700_002)
    unit = resident["units"][0]["label"]
    status, body = await _post(
        module_sandbox, f"sandbox/api/gates/{gate.id}/call", {"unit": unit, "name": "Sam Lee"}
    )
    call = body["result"]["call"]
    assert status == 200 and body["result"]["status"] == 201 and call["status"] == "ringing"
    chat = module_sandbox.emulator.user(700_002)
    ring = await chat.expect("Sam Lee", timeout=20)
    await chat.press(ring, "Let in once")
    _, polled = await _get(module_sandbox, f"sandbox/api/gates/{gate.id}/calls/{call['call_id']}")
    assert polled["result"]["call"]["status"] == "let_in"
    assert polled["result"]["call"]["door"] == "released"

    # A walk-in with a photo from the computer (a PNG, converted as a camera's JPEG).
    png = io.BytesIO()
    Image.new("RGB", (24, 24), (90, 160, 90)).save(png, format="PNG")
    form = aiohttp.FormData()
    for name, value in (("unit", unit), ("name", "Ada Photo"), ("purpose", "a parcel")):
        form.add_field(name, value)
    form.add_field("photo", png.getvalue(), filename="me.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{module_sandbox.url}sandbox/api/gates/{gate.id}/call", data=form) as response,
    ):
        body = await response.json()
    assert body["result"]["status"] == 201, body
    ring = await chat.expect("Ada Photo", timeout=20)
    assert ring.get("photo") and "a parcel" in ring["caption"]
    await chat.press(ring, "Refuse")

    _, body = await _post(module_sandbox, f"sandbox/api/gates/{gate.id}/call", {"unit": "99-9"})
    assert body["result"]["status"] == 404 and body["result"]["call"]["error"] == "unknown_unit"
