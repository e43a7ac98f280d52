"""The gate pane's webcam path in a real browser, fed a printed photo.

Chromium's fake camera plays an MJPEG file made from one committed photo
(``tests/faces/images/obama_portrait.jpg``): what a person holding a photo up to a
plain webcam shows the gate. At the pedestrian gate (liveness *challenge*, the
default) both ways the page offers must refuse it and leave the door locked: a
captured still ("one photo is not enough") and the blink / turn test, whose burst
of frames is the same picture again. This runs the page's real ``getUserMedia``,
canvas capture and multipart upload against the real gate API.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from bot.sandbox.runtime import Sandbox
from tests.sandbox.conftest import start_sandbox
from tests.sandbox.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

PHOTO = Path(__file__).resolve().parents[1] / "faces" / "images" / "obama_portrait.jpg"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.faces,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


def _printed_photo_stream(path: Path, frames: int = 30) -> None:
    """An MJPEG stream of one photo, letterboxed to 640×480: a photo held still."""
    photo = Image.open(PHOTO).convert("RGB")
    photo.thumbnail((640, 480))
    canvas = Image.new("RGB", (640, 480), (40, 40, 40))
    canvas.paste(photo, ((640 - photo.width) // 2, (480 - photo.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=90)
    path.write_bytes(buffer.getvalue() * frames)


@pytest_asyncio.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = await start_sandbox(tmp_path / "sandbox", language="en")
    try:
        yield running
    finally:
        await running.stop()


async def test_a_photo_held_to_the_webcam_does_not_open_the_gate(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    stream = tmp_path / "printed_photo.mjpeg"
    _printed_photo_stream(stream)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={stream}",
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        context = await browser.new_context(viewport={"width": 1600, "height": 960}, locale="en-US")
        await context.grant_permissions(["camera"], origin=sandbox.url)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(TIMEOUT_MS)
        try:
            await page.goto(sandbox.url)
            gate = page.locator("#gate-pane")
            await expect(gate.locator("#door-state")).to_have_text("Locked")
            await gate.locator("#reader-tabs button[data-reader='face']").click()
            await gate.locator("#face-camera").click()
            await page.wait_for_function("document.querySelector('#camera-video').videoWidth > 0")

            # A captured still: a photo is not enough at a challenge gate.
            await gate.locator("#camera-capture").click()
            await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "denied")
            await expect(gate.locator("#display-sub")).to_contain_text("one photo is not enough")

            # The blink / turn test: the burst is the same picture again.
            await gate.locator("#camera-challenge").click()
            await expect(gate.locator("#display-sub")).to_contain_text(
                "the same picture again", timeout=60_000
            )
            await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "denied")
            await expect(gate.locator("#door")).not_to_have_attribute("data-state", "released")
        finally:
            await browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"
