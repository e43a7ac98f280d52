"""The sandbox page in a real browser (Debian's Chromium, driven by Playwright).

One walk through the product as an evaluator would do it: a new person joins
with a letterbox invitation, files a repair, the technician takes it in the
ticket's topic, the resident invites a visitor, the visitor opens the shared
link, types the code at the gate, and the door opens. Screenshots of the three
panes go to ``test-artifacts/``.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from bot.sandbox.runtime import Sandbox
from tests.sandbox.conftest import start_sandbox

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium"),
]


@pytest_asyncio.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = await start_sandbox(tmp_path / "sandbox", language="en")
    try:
        yield running
    finally:
        await running.stop()


@pytest_asyncio.fixture
async def page(sandbox: Sandbox) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 1600, "height": 960}, locale="en-US", device_scale_factor=1
        )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(TIMEOUT_MS)
        try:
            yield page
        finally:
            await browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def _photo() -> bytes:
    """A ceiling with a water stain, drawn: the kind of photo a resident sends."""
    from PIL import ImageDraw, ImageFilter

    image = Image.new("RGB", (640, 480))
    draw = ImageDraw.Draw(image)
    for y in range(480):  # a plastered ceiling, lit from one side
        shade = 228 - y // 12
        draw.line([(0, y), (640, y)], fill=(shade, shade - 4, shade - 12))
    stain = Image.new("L", (640, 480), 0)
    ImageDraw.Draw(stain).ellipse((250, 150, 470, 300), fill=170)
    ImageDraw.Draw(stain).ellipse((300, 190, 420, 270), fill=235)
    stain = stain.filter(ImageFilter.GaussianBlur(18))
    image.paste(Image.new("RGB", (640, 480), (150, 118, 70)), (0, 0), stain)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 0, 90, 480), fill=(205, 203, 196))  # a beam
    draw.ellipse((352, 300, 364, 316), fill=(120, 150, 170))  # a drop
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


async def test_walk_through_the_product_in_the_browser(sandbox: Sandbox, page) -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    chat = page.locator("#chat-pane")
    group = page.locator("#group-pane")
    gate = page.locator("#gate-pane")

    async def press(pane, label: str | re.Pattern[str], under: str | None = None) -> None:
        """Press the newest button with this label (older messages keep theirs), in
        the newest message saying ``under`` when given (so the bot's answer to the
        previous step is awaited before anything is pressed)."""
        scope = pane.locator(".messages")
        if under is not None:
            scope = scope.locator(".msg", has_text=under).last
        button = scope.locator(".kb-button", has_text=label).last
        await expect(button).to_be_visible()
        await button.click()

    async def say(pane, text: str) -> None:
        box = pane.locator("form.composer textarea")
        await box.fill(text)
        await box.press("Enter")

    async def sees(pane, text: str | re.Pattern[str]) -> None:
        found = pane.locator(".messages .msg, .messages .service", has_text=text)
        await expect(found.last).to_be_visible()

    await page.goto(sandbox.url)
    await expect(page.locator("body")).not_to_have_class(re.compile("loading"))
    await expect(page.locator("#community-name")).to_have_text("Sunny Garden")
    await expect(gate.locator("#door-state")).to_have_text("Locked")

    # 1. A new person opens a letterbox invitation and joins the flat.
    unit = sandbox.state.invitations[0].unit
    await page.click("#guide-button")
    await page.locator(".invitation-card", has_text=unit).get_by_role("button").click()
    await page.locator("#modal .new-person").click()
    await page.fill("#modal input[name=name]", "Lin Mei")
    await page.select_option("#modal select[name=language]", "en")
    await page.locator("#modal button[type=submit]").click()
    await sees(chat, f"Invitation to {unit}")
    await press(chat, re.compile(r"^\s*Owner\s*$"))
    await sees(chat, "Your full name")
    await page.locator("#chat-keyboard .kb-button").first.click()  # the suggested name
    await page.locator("#chat-keyboard .kb-button", has_text="Share my phone number").click()
    await page.fill("#modal input[name=phone]", "+86 139 0000 1234")
    await page.locator("#modal button[type=submit]").click()
    # The community rules, then the service contract: each accepted with its button.
    for document in (re.compile("rules", re.I), re.compile("service contract", re.I)):
        await sees(chat, document)
        await press(chat, "I have read and accept")
    await sees(chat, "Welcome home")
    # The office hears about it in its "Move-in applications" topic.
    movein = page.locator("#topics .topic", has_text="Move-in")
    await expect(movein.locator(".badge")).to_have_text("1")
    await movein.click()
    await sees(group, f"joined {unit} as owner")
    await expect(page.locator("#person-picker .who-sub")).to_have_text(f"{unit} · owner")

    # 2. The new resident reports a leaking pipe, with a photo from "disk".
    await say(chat, "/ticket")
    await press(chat, "Repair", under="What would you like to report?")
    await press(chat, "Water", under="What needs repairing?")
    await press(chat, unit, under="Where is it?")
    await sees(chat, "Describe the problem")
    await say(chat, "Water is dripping from the kitchen ceiling")
    await sees(chat, "Add up to 5 photos")
    await chat.locator("input.file-photo").set_input_files(
        {"name": "ceiling.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    await expect(chat.locator(".messages img.photo")).to_have_count(1)
    await _keeps_its_proportions(chat.locator(".messages img.photo").first)
    await press(chat, "Done", under="Got photo 1")
    await press(chat, "Urgent", under="How urgent is it?")
    await press(chat, "Submit", under="Please check your report")
    await sees(chat, "ticket #1")

    # 3. The technician takes it in the ticket's own topic and writes to the resident.
    await page.click("#staff-picker .picker-button")
    await page.locator("#staff-picker .picker-option", has_text="Jianguo Zhang").click()
    topic = page.locator("#topics .topic", has_text="#1")
    await topic.click()
    await expect(page.locator("#topic-name")).to_contain_text("#1")
    await sees(group, "kitchen ceiling")
    await press(group, "Take", under="#1 Repair")
    await sees(group, "In progress — Jianguo Zhang")
    await sees(chat, "Jianguo Zhang has taken your ticket #1")
    await say(group, "On my way, ten minutes.")
    await sees(chat, "On my way, ten minutes.")

    # 4. The resident invites a visitor and shares the pass.
    await say(chat, "/invite")
    await press(chat, "Skip", under="Inviting a visitor to")
    await press(chat, "Family or friends", under="purpose of the visit")
    await press(chat, "Next 2 hours", under="When may the visitor come in?")
    await press(chat, "Single entry", under="Single entry, or any number")
    await press(chat, "No car", under="coming by car?")
    await press(chat, "Done", under="Which gates may they use?")
    await press(chat, "Create the pass", under="Please check the pass")
    card = chat.locator(".messages .msg", has_text="is ready").last
    await expect(card).to_be_visible()
    code = re.search(r"Code:\s*(\d{4})\s*(\d{4})", await card.inner_text())
    assert code is not None
    digits = code.group(1) + code.group(2)
    await press(chat, "Share the pass")
    await page.locator("#modal .picker-option", has_text="Sam Taylor").click()
    await expect(page.locator("#person-picker .who-name")).to_have_text("Sam Taylor")
    await sees(chat, f"{code.group(1)} {code.group(2)}")
    await expect(chat.locator(".messages img.photo")).to_have_count(1)  # the QR code

    # 5. The visitor types the code at the gate; the door opens.
    for digit in digits:
        await gate.locator(f"#keypad button[data-key='{digit}']").click()
    await expect(gate.locator("#code-entry")).to_have_text(digits)
    await gate.locator("#keypad button[data-key='enter']").click()
    await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "granted")
    await expect(gate.locator("#door")).to_have_attribute("data-state", "released")
    await expect(gate.locator("#door-state")).to_have_text("Open")
    await expect(gate.locator("#access-log tr").first).to_contain_text("✔")
    await _nothing_clipped(gate.locator("#access-log td"))
    hint = chat.locator("form.composer textarea")
    assert await hint.evaluate("e => getComputedStyle(e, '::placeholder').whiteSpace") == "nowrap"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox.png"))
    await gate.screenshot(path=str(ARTIFACTS / "sandbox-gate.png"))
    # The host hears about it: a new message for Lin Mei while Sam's chat is shown.
    await expect(page.locator(".toast", has_text="New message for Lin Mei")).to_be_visible()
    await group.screenshot(path=str(ARTIFACTS / "sandbox-group.png"))
    await chat.screenshot(path=str(ARTIFACTS / "sandbox-chat.png"))

    # The visitor tries again with the QR code: a single entry is used up.
    await page.click("#person-picker .picker-button")
    await page.locator("#person-picker .picker-option", has_text="Sam Taylor").click()
    await chat.get_by_role("button", name="Show at the gate").last.click()
    await expect(gate.locator("#qr-token")).not_to_have_value("")
    await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "denied")
    await expect(gate.locator("#display-sub")).to_have_text("pass already used")
    await expect(gate.locator("#access-log tr").first).to_contain_text("QR code")

    # 6. The visitor leaves through the exit lane: the used pass lets its holder out,
    # and the log says so.
    await gate.locator("#lane-tabs button[data-lane='out']").click()
    await gate.locator("#reader-tabs button[data-reader='keypad']").click()
    for digit in digits:
        await gate.locator(f"#keypad button[data-key='{digit}']").click()
    await gate.locator("#keypad button[data-key='enter']").click()
    await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "granted")
    await expect(gate.locator("#access-log tr").first).to_contain_text("out")


async def _keeps_its_proportions(image) -> None:
    """A photo is shown at its own aspect ratio (once stretched to the bubble)."""
    from playwright.async_api import expect

    await expect(image).to_have_js_property("complete", True)
    box = await image.evaluate(
        "e => [e.naturalWidth, e.naturalHeight, e.clientWidth, e.clientHeight]"
    )
    natural_w, natural_h, shown_w, shown_h = box
    assert natural_h and shown_h
    assert abs(natural_w / natural_h - shown_w / shown_h) < 0.02, box


async def _nothing_clipped(cells) -> None:
    """No cell of the access log is cut off (English reasons are long)."""
    widths = await cells.evaluate_all("cs => cs.map(c => [c.scrollWidth, c.clientWidth])")
    assert widths and all(scroll <= client + 1 for scroll, client in widths), widths


@pytest_asyncio.fixture
async def zh_sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = await start_sandbox(tmp_path / "sandbox-zh", language="zh_Hans")
    try:
        yield running
    finally:
        await running.stop()


async def test_the_page_speaks_the_community_and_each_gate_shows_its_own(zh_sandbox) -> None:
    """A Chinese community's page opens in Chinese in an English browser; after a
    refused code at one gate, switching gates shows the other gate idle (not the
    first gate's "denied")."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1600, "height": 960}, locale="en-US"
            )
            page = await context.new_page()
            await page.goto(zh_sandbox.url)
            await expect(page.locator("body")).not_to_have_class(re.compile("loading"))
            await expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
            gate = page.locator("#gate-pane")
            await expect(gate.locator("#display-main")).to_have_text("请输入通行码")
            for digit in "00000000":
                await gate.locator(f"#keypad button[data-key='{digit}']").click()
            await gate.locator("#keypad button[data-key='enter']").click()
            await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "denied")
            await gate.locator("#gate-picker button", has_text="北门车道").click()
            await expect(gate.locator("#gate-display")).to_have_attribute("data-tone", "idle")
            await expect(gate.locator("#display-sub")).to_have_text("北门车道")
            # A language the visitor chooses is kept over the community's.
            await page.locator(".lang-switch button[data-lang='en']").click()
            await expect(page.locator("html")).to_have_attribute("lang", "en")
            await page.reload()
            await expect(page.locator("body")).not_to_have_class(re.compile("loading"))
            await expect(page.locator("html")).to_have_attribute("lang", "en")
        finally:
            await browser.close()
