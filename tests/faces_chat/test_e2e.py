"""Face access end to end: residents and an owner in the chat (Bot API emulator, real
committed photos through the real engine), the gate terminal over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from access.api import serve
from access.faces.models import ConsentKind, FaceConsent, FaceTemplate, TemplateStatus
from access.faces.store import text_digest
from access.gates import create_gate
from core.clock import FrozenClock
from core.models import AuditEntry, ConversationState, StaffRole
from core.residents import end_residency
from handlers.faces.jobs import purge_pending_job
from tests.conftest import TEST_SECRET
from tests.faces_chat.conftest import START, liveness_off, photo
from tests.factories import make_resident, make_staff
from tests.harness import idle, start_bot

pytestmark = pytest.mark.faces

GROUP_ID = -1001000000088
OWNER_ID, NEIGHBOUR_ID, TEEN_ID, MANAGER_ID = 501, 502, 503, 601
SLOW = 60.0  # the engine works in a thread on a busy 2-core machine


@dataclass
class World:
    home: Any
    app: Any
    api: str
    gate_id: int
    key: str
    owner: Any
    neighbour: Any
    clock: FrozenClock


@pytest.fixture
async def world(session, settings, emulator, home, face_engine) -> AsyncIterator[World]:
    created = await create_gate(
        session, secret_key=TEST_SECRET, community_id=home.community.id, name="East Gate"
    )
    await make_staff(
        session, home.community, MANAGER_ID, "Li Manager", StaffRole.MANAGER, locale="en"
    )
    await liveness_off(session, created.gate.id)
    await session.commit()
    owner = emulator.user(OWNER_ID, "Wang", language_code="en")
    neighbour = emulator.user(NEIGHBOUR_ID, "Li", language_code="en")
    group = emulator.group(GROUP_ID, "Sunny Garden staff")
    group.add_member(MANAGER_ID, "Li Manager")
    group.add_member(NEIGHBOUR_ID, "Li")
    emulator.user(MANAGER_ID, "Li Manager", language_code="en")
    clock = FrozenClock(START)
    async with start_bot(settings, emulator, clock=clock) as app:
        runner = await serve(app.ctx.gate, "127.0.0.1", 0)
        try:
            yield World(
                home,
                app,
                f"http://127.0.0.1:{runner.addresses[0][1]}",
                created.gate.id,
                created.api_key,
                owner,
                neighbour,
                clock,
            )
        finally:
            await runner.cleanup()


async def at_gate(w: World, name: str) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{w.api}/v1/gates/{w.gate_id}/verify",
            data=photo(name),
            headers={"Authorization": f"Bearer {w.key}", "Content-Type": "image/jpeg"},
        ) as response,
    ):
        assert response.status == 200
        return await response.json()


async def send_and_check(user, name: str, checking_text: str = "Checking the photo") -> dict:
    """Send a committed photo; return the "checking…" message as edited with the verdict."""
    await user.send_photo(photo(name))
    checking = await user.expect(checking_text, timeout=SLOW)
    return await user.expect_edit(checking, timeout=SLOW)


async def count(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_consent_selfies_gate_and_deletion(world, session, emulator):
    w, me = world, world.owner
    await me.send("/face")
    home = await me.expect("Face access")
    assert "Sunny Garden" in home["text"] and "not enrolled" in home["text"]

    # Consent first: what, where, how long, Telegram, other ways in. Declining stores nothing.
    await me.press(home, "📸 Enroll my face")
    consent = await me.expect("please read before you agree")
    text = consent["text"]
    for part in (
        "numeric template",
        "never stored",
        "Sunny Garden's own Courtyard database",
        "until it is deleted",
        "move-out",
        "travel through Telegram",
        "door codes, access cards and opening the gate from this chat keep working",
    ):
        assert part in text, part
    await me.press(consent, "✖️ No, thank you")
    await me.expect("nothing was stored")
    assert await count(session, FaceConsent) == 0

    await me.send("/face")
    home = await me.expect("Face access")
    await me.press(home, "📸 Enroll my face")
    consent = await me.expect("please read before you agree")
    await me.send("yes")  # only the buttons count
    await me.expect("Please answer with the buttons")
    await me.press(consent, "✅ I agree")
    await me.expect("Now send 1 to 3 selfies")
    await idle(w.app)  # the consent commits with the step, just after the question
    row = (await session.scalars(select(FaceConsent))).one()
    assert row.kind == ConsentKind.SELF and row.given_at == START and row.locale == "en"
    assert row.text_sha256 == text_digest(consent["text"]) and row.text_version

    # Each photo is checked; a refused one says what to fix.
    verdict = await send_and_check(me, "two_faces.jpg")
    assert "I found 2 faces" in verdict["text"]
    verdict = await send_and_check(me, "no_face.jpg")
    assert "can't find a face" in verdict["text"]
    verdict = await send_and_check(me, "small_face.jpg")
    assert "Move closer" in verdict["text"]
    verdict = await send_and_check(me, "dark.jpg")
    assert "too dark" in verdict["text"]
    assert emulator.calls_of("sendChatAction")  # the chat showed progress
    await me.send("here you go")
    await me.expect("Please send a photo of the face")
    verdict = await send_and_check(me, "obama_portrait.jpg")
    assert "Photo 1 of up to 3 accepted" in verdict["text"]
    # Not at the gate until "Done".
    assert (await at_gate(w, "obama_podium.jpg"))["reason"] == "no_match"
    assert "Next: the head turned slightly to one side" in verdict["text"]
    # Photo 2 must be turned slightly: another frontal photo is refused.
    verdict = await send_and_check(me, "obama_portrait_tight.jpg")
    assert "turn your head slightly to one side" in verdict["text"]
    verdict = await send_and_check(me, "obama_east_room.jpg")
    assert "Photo 2 of up to 3 accepted" in verdict["text"]
    assert "slightly to the other side" in verdict["text"]
    # Photo 3 must turn the other way than photo 2.
    verdict = await send_and_check(me, "obama_east_room_bright.jpg")
    assert "turned the same way as the last photo" in verdict["text"]
    await me.press(verdict, "✅ Done")
    done = await me.expect("Face access is on (photos enrolled: 2)")
    assert "Delete my face data" in done["text"]
    assert await count(session, FaceTemplate, FaceTemplate.status == TemplateStatus.ACTIVE) == 2
    # Nothing of the photos or templates is in the conversation state.
    states = (await session.scalars(select(ConversationState.data))).all()
    assert all("template" not in s and len(s) < 1000 for s in states)

    # At the gate: the resident (another photo) gets in, a stranger does not.
    body = await at_gate(w, "obama_podium.jpg")
    assert body["granted"] is True and body["reason"] == "resident"
    body = await at_gate(w, "biden.jpg")
    assert body["granted"] is False and body["reason"] == "no_match"

    # Delete my face data: at once, confirmed; the gate no longer opens.
    await me.send("/face")
    home = await me.expect("enrolled since")
    assert "(photos: 2)" in home["text"]
    await me.press(home, "🗑 Delete my face data")
    await me.expect("Your face data is deleted")
    assert await count(session, FaceTemplate) == 0
    body = await at_gate(w, "obama_podium.jpg")
    assert body["granted"] is False and body["reason"] == "no_match"
    actions = (await session.scalars(select(AuditEntry.action))).all()
    assert {"faces.consent", "faces.enrolled", "faces.deleted"} <= set(actions)


async def test_owner_enrolls_a_child_and_staff_see_only_the_count(world, session, emulator):
    w, me = world, world.owner
    await me.send("/face")
    home = await me.expect("Face access")
    await me.press(home, "👪 Household members")
    members = await me.expect("Face access for your household")
    assert "Wang Xiaobao (3栋-1201): not enrolled" in members["text"]
    await me.press(members, "📸 Wang Xiaobao")
    ask = await me.expect("Is Wang Xiaobao under 14?")
    await me.press(ask, "👶 Under 14")
    consent = await me.expect("for Wang Xiaobao")
    assert "parent or guardian of Wang Xiaobao, who is under 14" in consent["text"]
    await me.press(consent, "✅ As their parent or guardian, I agree")
    await me.expect("send 1 to 3 photos of Wang Xiaobao")
    verdict = await send_and_check(me, "collins.jpg")
    assert "Photo 1 of up to 3 accepted" in verdict["text"]
    await me.press(verdict, "✅ Done")
    await me.expect("Face access is on for Wang Xiaobao (photos enrolled: 1)")
    row = (await session.scalars(select(FaceConsent))).one()
    assert row.kind == ConsentKind.GUARDIAN and row.minor is True
    assert row.subject_person_id == w.home.child.id and row.given_by_person_id == w.home.owner.id
    body = await at_gate(w, "collins_crop.jpg")
    assert body["granted"] is True

    # Staff see how many, never whose templates; others in the group are refused.
    group = emulator.group(GROUP_ID)
    await group.send(MANAGER_ID, "/faces")
    counts = await group.expect("Face access in Sunny Garden")
    assert "1 of 3 residents enrolled" in counts["text"]
    # Each gate's live-person check, with the risk where it is off.
    assert "East Gate: ⚠️ off — a printed photo or a phone screen" in counts["text"]
    await group.send(NEIGHBOUR_ID, "/faces")
    await group.expect("Only staff of this community")

    # The child moves out (the owner removes them): the template goes with the residency.
    from core.models import Residency

    residency = await session.scalar(
        select(Residency).where(Residency.person_id == w.home.child.id)
    )
    await end_residency(session, residency.id, clock=w.clock, reason="removed_by_owner")
    await session.commit()
    assert await count(session, FaceTemplate) == 0
    body = await at_gate(w, "collins_crop.jpg")
    assert body["granted"] is False


async def test_member_with_telegram_agrees_in_their_own_chat(world, session, emulator):
    w, me = world, world.owner
    from core.models import ResidencyRole

    await make_resident(
        session, w.home.unit, TEEN_ID, "Wang Da", role=ResidencyRole.FAMILY, locale="en"
    )
    await session.commit()
    teen = emulator.user(TEEN_ID, "Da", language_code="en")
    await me.send("/face")
    home = await me.expect("Face access")
    await me.press(home, "👪 Household members")
    members = await me.expect("Face access for your household")
    await me.press(members, "📸 Wang Da")
    ask = await me.expect("Is Wang Da under 14?")
    await me.press(ask, "🧑 14 or older")
    await me.expect("Wang Da decides: I have asked in their chat")
    request = await teen.expect("Wang Xiaoming would like to enroll your face")
    assert "numeric template" in request["text"]
    assert "please read before you agree" in request["text"]  # written to them
    await teen.press(request, "✅ I agree")
    await teen.expect("Wang Xiaoming can now send photos of you")
    agreed = await me.expect("Wang Da agreed to face access")
    row = (await session.scalars(select(FaceConsent))).one()
    assert row.kind == ConsentKind.MEMBER and row.given_by_person_id == row.subject_person_id
    assert row.requested_by_person_id == w.home.owner.id
    await me.press(agreed, "📸 Send Wang Da's photos")
    await me.expect("send 1 to 3 photos of Wang Da")
    verdict = await send_and_check(me, "biden.jpg")
    await me.press(verdict, "✅ Done")
    await me.expect("Face access is on for Wang Da")
    assert (await at_gate(w, "biden_tight.jpg"))["granted"] is True


async def test_cancel_and_bad_files_store_nothing(world, session, emulator):
    w, me = world, world.neighbour
    await me.send("/face")
    home = await me.expect("Face access")
    await me.press(home, "📸 Enroll my face")
    consent = await me.expect("please read before you agree")
    await me.press(consent, "✅ I agree")
    prompt = await me.expect("Now send 1 to 3 selfies")

    # Files: a PDF is not a picture; an oversized picture is refused before download.
    await me.send_document(b"%PDF-1.4 not a photo", "scan.pdf", "application/pdf")
    await me.expect("That file is not a picture")
    await me.send_document(b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), "big.jpg", "image/jpeg")
    await me.expect("too large (at most 10 MB)")
    assert not emulator.calls_of("getFile")  # never downloaded

    verdict = await send_and_check(me, "obama_portrait.jpg")
    assert "Photo 1 of up to 3 accepted" in verdict["text"]
    await me.press(verdict, "✖️ Cancel")
    await me.expect("Cancelled. Nothing was stored")
    await idle(w.app)
    assert await count(session, FaceTemplate) == 0
    assert prompt

    # /cancel in the middle: the pending template never reaches the gate and is purged.
    await me.send("/face")
    home = await me.expect("Face access")
    await me.press(home, "📸 Enroll my face")  # consent still open: straight to photos
    await me.expect("Now send 1 to 3 selfies")
    await send_and_check(me, "obama_portrait.jpg")
    await me.send("/cancel")
    await me.expect("Cancelled")
    assert (await at_gate(w, "obama_podium.jpg"))["reason"] == "no_match"
    w.clock.advance(timedelta(hours=1))
    assert await purge_pending_job(w.app.ctx) == 1
    assert await count(session, FaceTemplate) == 0


async def test_in_chinese(world, session, emulator):
    person, _ = await make_resident(session, world.home.other_unit, 504, "张伟", locale="zh_Hans")
    await session.commit()
    me = emulator.user(504, "张伟", language_code="zh-hans")
    await me.send("/face")
    home = await me.expect("刷脸通行")
    await me.press(home, "📸 录入我的人脸")
    consent = await me.expect("同意前请阅读")
    assert "照片本身从不保存" in consent["text"] and "Telegram 的服务器" in consent["text"]
    await me.press(consent, "✅ 我同意")
    await me.expect("现在请以照片形式发送 1 到 3 张自拍")
    verdict = await send_and_check(me, "two_faces.jpg", "正在检测照片")
    assert "照片中有 2 张人脸" in verdict["text"]
    assert person.id
