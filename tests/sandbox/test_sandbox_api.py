"""The sandbox's own HTTP endpoints, without a browser: the page, its config and
people, translations, the gate proxy, QR reading, time travel — and that the demo
is seeded once and survives a restart."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import timedelta

import aiohttp
import pytest
import segno
from sqlalchemy import func, select

from access.models import AccessLogEntry
from access.reason_texts import REASON_TEXTS
from bot.sandbox.runtime import Sandbox
from bot.sandbox.strings import UI
from core.models import Community, Unit
from handlers.community.jobs import run_notices
from tests.conftest import PG_URL
from tests.sandbox.conftest import api_get as _get
from tests.sandbox.conftest import api_post as _post
from tests.sandbox.conftest import dinner_guest_pass

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # The sandbox always runs on its own SQLite file: the PostgreSQL run adds nothing.
    pytest.mark.skipif(bool(PG_URL), reason="the sandbox uses its own SQLite database"),
]


async def test_the_page_and_its_files_are_served(module_sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(module_sandbox.url) as response:
            html = await response.text()
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-cache"
        assert f"sandbox.js?v={module_sandbox.boot_id}" in html
        assert "{{version}}" not in html
        for path in ("static/sandbox.js", "static/sandbox.css", "favicon.ico"):
            async with http.get(module_sandbox.url + path) as response:
                assert response.status == 200, path
        # No CDN: every script and stylesheet the page loads is our own.
        assert "https://" not in html.split("<body", 1)[0]


async def test_config_describes_the_demo_community(module_sandbox: Sandbox) -> None:
    status, body = await _get(module_sandbox, "sandbox/api/config")
    assert status == 200 and body["ok"]
    config = body["result"]
    assert config["bot"]["username"] == "courtyard_sandbox_bot"
    assert config["community"]["name"] == "Sunny Garden"
    assert config["community"]["timezone"] == "Asia/Shanghai"
    assert [g["kind"] for g in config["gates"]] == ["pedestrian", "vehicle"]
    assert config["gate_api"] is True
    group = module_sandbox.emulator.core.world.chats[config["group"]["id"]]
    assert group.is_forum and config["group"]["title"] == group.title
    async with module_sandbox.require_app().ctx.session_factory() as session:
        community = await session.get(Community, config["community"]["id"])
        assert community is not None and community.admin_chat_id == config["group"]["id"]
        assert await session.scalar(select(func.count()).select_from(Unit)) == 36


async def test_people_are_what_the_database_says(module_sandbox: Sandbox) -> None:
    status, body = await _get(module_sandbox, "sandbox/api/people")
    assert status == 200
    people = {p["name"]: p for p in body["result"]}
    assert people["Emily Chen"]["kind"] == "resident"
    assert people["Emily Chen"]["units"] == [{"label": "Block 1-502", "role": "tenant"}]
    assert people["Emily Chen"]["language"] == "en"
    assert people["王秀英"]["language"] == "zh_Hans"
    assert people["王秀英"]["units"][0]["role"] == "owner"
    roles = sorted(p["staff_role"] for p in body["result"] if p["kind"] == "staff")
    assert roles == ["guard", "manager", "technician"]
    visitors = [p for p in body["result"] if p["kind"] == "visitor"]
    assert len(visitors) == 2 and not any(v["started"] for v in visitors)
    # Staff are members of the admin forum in the emulator.
    group = module_sandbox.emulator.core.world.chats[module_sandbox.state.admin_chat_id]
    staff_ids = {p["id"] for p in body["result"] if p["kind"] == "staff"}
    assert staff_ids <= {uid for uid, m in group.members.items() if m.is_present}


async def test_a_new_person_is_a_fresh_telegram_account(module_sandbox: Sandbox) -> None:
    status, body = await _post(
        module_sandbox, "sandbox/api/people", {"name": "Lin Mei", "language": "en"}
    )
    assert status == 201
    person = body["result"]
    assert person["kind"] == "new" and not person["started"] and person["units"] == []
    user = module_sandbox.emulator.core.world.users[person["id"]]
    assert (user.first_name, user.last_name, user.language_code) == ("Lin", "Mei", "en")
    status, body = await _post(module_sandbox, "sandbox/api/people", {"name": "", "language": "en"})
    assert (status, body["error"]) == (400, "bad_name")
    status, body = await _post(
        module_sandbox, "sandbox/api/people", {"name": "X", "language": "fr"}
    )
    assert (status, body["error"]) == (400, "bad_language")


async def test_page_strings_in_both_languages(module_sandbox: Sandbox) -> None:
    status, zh = await _get(module_sandbox, "sandbox/api/i18n/zh_Hans")
    assert status == 200
    _, en = await _get(module_sandbox, "sandbox/api/i18n/en")
    reasons = {f"reason.{r}" for r in REASON_TEXTS}  # the chat's words (access domain)
    assert set(zh["result"]["strings"]) == set(en["result"]["strings"]) == set(UI) | reasons
    assert en["result"]["strings"]["gate.kicker"] == "Gate terminal"
    assert zh["result"]["strings"]["gate.kicker"] == "门禁终端"
    untranslated = [k for k, v in zh["result"]["strings"].items() if v == UI.get(k) and v.isascii()]
    assert not [k for k in untranslated if any(c.isalpha() for c in UI[k])], untranslated
    status, body = await _get(module_sandbox, "sandbox/api/i18n/fr")
    assert (status, body["error"]) == (404, "unknown_locale")


async def test_a_letterbox_invitation_brings_a_new_person_in(module_sandbox: Sandbox) -> None:
    status, body = await _get(module_sandbox, "sandbox/api/invitations")
    assert status == 200
    invitations = body["result"]
    assert len(invitations) == 3 and all(i["status"] == "usable" for i in invitations)
    first = invitations[0]
    assert first["link"] == f"https://t.me/courtyard_sandbox_bot?start={first['payload']}"
    assert first["unit"].startswith("Block 3-")
    # What the page does for "open the link": /start <payload> as a new person.
    _, created = await _post(
        module_sandbox, "sandbox/api/people", {"name": "Ada Wong", "language": "en"}
    )
    person_id = created["result"]["id"]
    handle = module_sandbox.emulator.user(person_id)
    await _post(
        module_sandbox,
        f"_emulator/chats/{person_id}/messages",
        {"text": f"/start {first['payload']}"},
    )
    await handle.expect(f"Invitation to {first['unit']}", timeout=20)


async def test_the_gate_proxy_decides_with_the_real_gate_api(module_sandbox: Sandbox) -> None:
    gate = module_sandbox.state.gates[0]
    app = module_sandbox.require_app()
    issued = await dinner_guest_pass(module_sandbox)

    status, body = await _post(
        module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"code": "12345678"}
    )
    assert status == 200
    assert body["result"]["status"] == 200
    assert body["result"]["decision"]["granted"] is False
    assert body["result"]["decision"]["reason"] == "unknown"

    status, body = await _post(
        module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"code": issued.code}
    )
    decision = body["result"]["decision"]
    assert decision["granted"] is True and decision["holder"] == "Sam Taylor"
    assert decision["door"] == "released"
    assert body["result"]["door"]["state"] == "released"
    assert body["result"]["door"]["open_for_s"] > 0

    _, body = await _post(
        module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"code": issued.code}
    )
    assert body["result"]["decision"]["reason"] == "used"

    # Malformed input is the gate API's 4xx, passed through.
    _, body = await _post(module_sandbox, f"sandbox/api/gates/{gate.id}/verify", {"code": "12ab"})
    assert body["result"]["status"] == 400 and body["result"]["decision"]["error"] == "malformed"

    status, body = await _get(module_sandbox, f"sandbox/api/gates/{gate.id}")
    assert status == 200
    log = body["result"]["log"]
    assert [row["granted"] for row in log[:3]] == [False, True, False]
    assert log[1]["holder"] == "Sam Taylor" and log[1]["pass_kind"] == "visitor"
    assert log[1]["unit"] == "Block 1-502"
    async with app.ctx.session_factory() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.gate_id == gate.id)
        )
        assert rows == len(log) == 3

    status, body = await _post(module_sandbox, "sandbox/api/gates/999/verify", {"code": "1"})
    assert (status, body["error"]) == (404, "unknown_gate")


async def test_a_photo_is_shown_to_the_gate_camera(module_sandbox: Sandbox) -> None:
    gate = module_sandbox.state.gates[1]  # liveness off there: one photo is examined
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (640, 480), (200, 200, 200)).save(png, format="PNG")
    form = aiohttp.FormData()
    form.add_field("image", png.getvalue(), filename="wall.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{module_sandbox.url}sandbox/api/gates/{gate.id}/face", data=form) as response,
    ):
        body = await response.json()
    assert response.status == 200
    result = body["result"]
    # The PNG went to the gate as a JPEG. Without face access set up the gate
    # refuses images (415); with it, a blank wall is "no face", never a grant.
    assert result["status"] in (200, 415, 503), result
    if result["status"] == 200:
        assert result["decision"]["granted"] is False
        assert result["decision"]["face_problem"] == "no_face"
    form = aiohttp.FormData()
    form.add_field("image", b"not an image", filename="x.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{module_sandbox.url}sandbox/api/gates/{gate.id}/face", data=form) as response,
    ):
        assert (response.status, (await response.json())["error"]) == (400, "bad_image")


async def test_the_webcam_answers_a_liveness_challenge(module_sandbox: Sandbox) -> None:
    gate = module_sandbox.state.gates[0]  # the pedestrian gate: challenge (the default)
    async with aiohttp.ClientSession() as http:
        url = f"{module_sandbox.url}sandbox/api/gates/{gate.id}"
        async with http.post(f"{url}/challenge") as response:
            issued = (await response.json())["result"]
        if issued["status"] == 409:  # face access not set up in this sandbox
            return
        assert issued["status"] == 200
        assert issued["challenge"]["action"] in ("blink", "turn_left", "turn_right")
        blank = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (320, 240), (200, 200, 200)).save(blank, format="JPEG")
        form = aiohttp.FormData()
        form.add_field("challenge", issued["challenge"]["challenge"])
        for i in range(2):
            form.add_field(
                "frame", blank.getvalue(), filename=f"{i}.jpg", content_type="image/jpeg"
            )
        async with http.post(f"{url}/face-burst", data=form) as response:
            result = (await response.json())["result"]
        # A wall is no live face: refused, never a grant.
        decision = result["decision"]
        assert (decision["granted"], decision["reason"]) == (False, "liveness_failed")
        assert decision["liveness_problem"] == "face_lost"


async def test_terminal_alarms_reach_the_gate_api(module_sandbox: Sandbox) -> None:
    gate = module_sandbox.state.gates[1]
    _, body = await _post(module_sandbox, f"sandbox/api/gates/{gate.id}/events", {"type": "tamper"})
    assert body["result"]["status"] == 202 and body["result"]["result"]["recorded"]
    _, body = await _post(module_sandbox, f"sandbox/api/gates/{gate.id}/events", {"type": "fire"})
    assert body["result"]["status"] == 400


async def test_the_qr_reader_reads_a_picture_the_bot_sent(module_sandbox: Sandbox) -> None:
    buffer = io.BytesIO()
    segno.make_qr("token-for-the-reader", error="m").save(buffer, kind="png", scale=6, border=4)
    sizes = module_sandbox.emulator.core.files.add_photo(buffer.getvalue())
    status, body = await _post(module_sandbox, "sandbox/api/qr", {"file_id": sizes[-1].file_id})
    assert status == 200 and body["result"]["token"] == "token-for-the-reader"
    plain = module_sandbox.emulator.core.files.add_photo(_jpeg())
    status, body = await _post(module_sandbox, "sandbox/api/qr", {"file_id": plain[-1].file_id})
    assert (status, body["error"]) == (422, "no_qr")
    status, body = await _post(module_sandbox, "sandbox/api/qr", {"file_id": "nope"})
    assert status == 404


async def test_moving_time_forward_makes_deadlines_pass(module_sandbox: Sandbox) -> None:
    # An urgent repair: someone must be on site within 10 minutes.
    resident = module_sandbox.emulator.user(700_002)
    await resident.send("/ticket")
    for prompt, button in (
        ("What would you like to report?", "Repair"),
        ("What needs repairing?", "Water"),
        ("Where is it?", "Block 1-502"),
    ):
        await resident.press(await resident.expect(prompt, timeout=20), button)
    await resident.expect("Describe the problem")
    await resident.send("The pipe under the sink is leaking")
    await resident.press(await resident.expect("Add up to 5 photos"), "Skip")
    await resident.press(await resident.expect("How urgent is it?"), "Urgent")
    await resident.press(await resident.expect("Please check your report"), "Submit")
    filed = await resident.expect(regex=r"ticket #\d+")
    number = re.search(r"#(\d+)", filed["text"]).group(1)
    group = module_sandbox.emulator.group(module_sandbox.state.admin_chat_id)
    group.skip()

    before = module_sandbox.clock.now()
    status, body = await _post(module_sandbox, "sandbox/api/clock", {"minutes": 60})
    assert status == 200 and body["result"]["clock_offset_s"] == 3600
    assert module_sandbox.clock.now() - before >= timedelta(minutes=60)
    saved = json.loads(module_sandbox.state_path.read_text(encoding="utf-8"))
    assert saved["clock_offset_s"] == 3600
    # The scheduled jobs ran at once: the ticket's topic hears the deadline passed.
    notice = await group.expect(f"#{number}: the deadline", timeout=20)
    # Its date is the sandbox's time, so the page shows it with the sandbox's clock.
    assert notice["date"] >= time.time() + 3500
    for minutes in (0, -5, 7 * 24 * 60 + 1):
        status, body = await _post(module_sandbox, "sandbox/api/clock", {"minutes": minutes})
        assert (status, body["error"]) == (400, "bad_step")


async def test_residents_get_the_seeded_outage_notice_and_vote(module_sandbox: Sandbox) -> None:
    _, body = await _get(module_sandbox, "sandbox/api/people")
    people = {p["name"]: p for p in body["result"]}
    # The scheduler is off in these tests: run the delivery job as it would.
    await run_notices(module_sandbox.require_app().ctx)
    tenant = module_sandbox.emulator.user(people["Emily Chen"]["id"])  # Block 1, a tenant
    notice = await tenant.expect("Water off in Block 1 tomorrow", timeout=20)
    assert "From" in notice["text"] and "Got it" in str(notice["reply_markup"])
    owner = module_sandbox.emulator.user(people["王秀英"]["id"])
    await owner.expect("Shall the corridors of every building be repainted", timeout=20)
    # The seeded event: "What to try" walks signing up for it.
    invitation = await tenant.expect("Event: Dumpling night for neighbours", timeout=20)
    await tenant.press(invitation, "✍️ Sign up")
    await tenant.press(await tenant.expect("How many people are coming"), "2")
    await tenant.expect("You are signed up for “Dumpling night for neighbours” (2 people)")


async def test_other_web_sites_cannot_drive_the_sandbox(module_sandbox: Sandbox) -> None:
    status, body = await _post(
        module_sandbox,
        "sandbox/api/people",
        {"name": "Mallory", "language": "en"},
        headers={"Origin": "https://evil.example"},
    )
    assert (status, body["error"]) == (403, "forbidden_origin")


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "token",
    [
        # Real pass tokens (access.credentials.new_token) whose QR code OpenCV's
        # classic detector does not read: about 5 in 1,000.
        "XjO3AGK8bKYrdhsF1-c8Cb0somHqx0Sa",
        "KykhrRAGySR3ixaSURbfiPdmYaN3C-Gu",
        "QdVab3GVu_FFt6zRoSOFuNxeuZipLJJJ",
    ],
)
async def test_the_gate_reader_reads_every_pass_qr(token: str) -> None:
    from bot.sandbox.server import decode_qr
    from handlers.gate.views import qr_png

    assert decode_qr(qr_png(token)) == token
