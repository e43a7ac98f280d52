"""The sandbox's "What to try" patrol step in a real browser: the guard scans a
checkpoint's QR (its payload opened as the guard) and the visit is recorded."""

from __future__ import annotations

import shutil

import pytest

from tests.sandbox.test_browser import CHROMIUM, TIMEOUT_MS, page, sandbox  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


async def test_the_guide_scans_a_checkpoint(sandbox, page) -> None:  # noqa: F811
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    await page.goto(sandbox.url)
    await page.click("#guide-button")
    await page.get_by_role("button", name="Scan “Car park” as").click()
    chat = page.locator("#chat-pane")
    found = chat.locator(".messages .msg", has_text="Visit recorded: Car park")
    await expect(found.last).to_be_visible()
