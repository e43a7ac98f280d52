"""End to end through the Bot API emulator: residents join their home, staff review
applications in the admin group."""

from __future__ import annotations

from sqlalchemy import select

from core.clock import SystemClock
from core.invitations import issue_unit_invitations
from core.models import Residency, ResidencyRole, ResidencyStatus, StaffRole
from core.movein_models import (
    AgreementAcceptance,
    ApplicationDocument,
    ApplicationStatus,
    KeyHandover,
    MoveInApplication,
)
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_staff, make_unit
from tests.harness import idle, start_bot
from tests.movein.helpers import audit_actions, jpeg

ADMIN_CHAT = -1001234567890
ACCEPT = "✅ I have read and accept"


async def _community(session_factory, *, units=(("3栋", "1201"), ("3栋", "1202"), ("5栋", "501"))):
    async with session_factory() as s:
        community = await make_community(
            s, "Sunny Garden", admin_chat_id=ADMIN_CHAT, is_forum=False, locale="en"
        )
        for building, number in units:
            await make_unit(s, community, building, number)
        _manager, _ = await make_staff(
            s, community, 900, "Manager Li", StaffRole.MANAGER, locale="en"
        )
        await s.commit()
        return community


def _admin_group(emulator):
    group = emulator.group(ADMIN_CHAT, "Sunny Garden staff")
    group.add_member(900, "Manager Li", "administrator")
    group.add_member(901, "Random Member")
    return group


async def _accept_documents(user):
    rules = await user.expect(button=ACCEPT)
    assert "Community rules" in rules["text"] or "rules" in rules["text"].lower()
    await user.press(rules, ACCEPT)
    contract = await user.expect(button=ACCEPT)
    assert "service contract" in contract["text"].lower()
    await user.press(contract, ACCEPT)


async def test_invitation_link_makes_an_active_resident(running_bot, emulator, session_factory):
    community = await _community(session_factory)
    async with session_factory() as s:
        issued = await issue_unit_invitations(
            s, community, secret_key=TEST_SECRET, clock=SystemClock()
        )
        await s.commit()
    invitation = next(i for i in issued if (i.building, i.unit) == ("3栋", "1201"))
    group = _admin_group(emulator)
    user = emulator.user(501, "Wei", "Li", language_code="en")

    await user.send(f"/start i_{invitation.code}")
    intro = await user.expect("Invitation to 3栋-1201")
    await user.press(intro, "Owner")
    await user.expect("Your full name")
    await user.press_key("Wei Li")  # the one-tap suggestion from the Telegram name
    await user.expect("phone number")
    await user.send("13800001111")  # typed instead of shared: asked again
    await user.expect("Share my phone number")
    await user.send_contact("8613800001111")
    await _accept_documents(user)
    welcome = await user.expect("Welcome home")
    assert "3栋-1201" in welcome["text"] and "owner" in welcome["text"]
    notice = await group.expect("joined 3栋-1201 as owner")
    assert "+8613800001111" in notice["text"]

    async with session_factory() as s:
        residency = await s.scalar(select(Residency))
        assert (residency.status, residency.role) == (ResidencyStatus.ACTIVE, ResidencyRole.OWNER)
        accepted = (await s.scalars(select(AgreementAcceptance))).all()
        assert len(accepted) == 2 and all(a.locale == "en" for a in accepted)

    # The same code by the same person again: refused, nothing new.
    await user.send(f"/start i_{invitation.code}")
    await user.expect("already")


async def test_typed_code_and_wrong_codes(running_bot, emulator, session_factory):
    community = await _community(session_factory)
    async with session_factory() as s:
        issued = await issue_unit_invitations(
            s, community, secret_key=TEST_SECRET, clock=SystemClock()
        )
        await s.commit()
    user = emulator.user(502, "Mei", language_code="en")
    await user.send("/start")
    home = await user.expect(button="🏠 Move in")
    await user.press(home, "🏠 Move in")
    entry = await user.expect(button="🔑 I have an invitation code")
    await user.press(entry, "🔑 I have an invitation code")
    await user.expect("Type the code")
    await user.send_photo(jpeg())
    await user.expect("type the code as text")
    await user.send("hello")
    await user.expect("doesn't look like an invitation code")
    await user.send("00000-00000")
    await user.expect("not valid")
    code = issued[0].code.lower()
    await user.send(f"{code[:5]} {code[5:]}")  # lower case and a space: still fine
    await user.expect(f"Invitation to {issued[0].building}-{issued[0].unit}")


async def test_application_with_photos_is_approved_in_the_admin_group(
    running_bot, emulator, session_factory
):
    await _community(session_factory)
    group = _admin_group(emulator)
    user = emulator.user(503, "San", "Zhang", language_code="en")

    await user.send("/start")
    home = await user.expect(button="🏠 Move in")
    await user.press(home, "🏠 Move in")
    entry = await user.expect(button="📝 Apply with my documents")
    await user.press(entry, "📝 Apply with my documents")
    buildings = await user.expect_edit(button="3栋")
    await user.press(buildings, "3栋")
    units = await user.expect_edit(button="1201")
    await user.press(units, "1201")
    roles = await user.expect_edit(button="Owner")
    await user.press(roles, "Owner")
    await user.expect("Your full name")
    await user.send("Zh4ng 5an 123")  # digits are not a name
    await user.expect("letters only")
    await user.send("Zhang San")
    await user.expect("phone number")
    await user.send_contact("+8613900002222")
    await user.expect("ID card")
    await user.send("here it is")  # text instead of a photo: asked again
    await user.expect("photo of your ID card")
    await user.send_photo(jpeg((10, 10, 10)))
    received = await user.expect("Received", button="Continue ➡")
    await user.press(received, "Continue ➡")
    await user.expect("property certificate")
    await user.send_media_group([jpeg((1, 2, 3)), jpeg((4, 5, 6))])
    received = await user.expect("Received", button="Continue ➡")
    await user.expect_nothing(within=0.5, text_contains="Received")  # one answer per album
    await user.press(received, "Continue ➡")
    await _accept_documents(user)
    summary = await user.expect("Please check your application", button="📨 Submit")
    assert "2 proof" in summary["text"] and "1 ID" in summary["text"]
    await user.press(summary, "📨 Submit")
    await user.expect("is with the property office")

    await group.expect(photo=True)
    card = await group.expect("Move-in application #", button="✅ Approve")
    assert "3栋-1201" in card["text"] and "Zhang San" in card["text"]

    answer = await group.press(card, "✅ Approve", from_user=900)
    assert answer["text"] == "Approved."
    edited = await group.expect_edit(card)
    assert "Approved by" in edited["text"] and not edited.get("reply_markup")
    welcome = await user.expect("Welcome home")
    assert "3栋-1201" in welcome["text"]
    handover = await group.expect("Hand over keys and access card", button="🔑 Keys handed over")
    await group.press(handover, "🔑 Keys handed over", from_user=900)
    after = await group.expect_edit(handover)
    assert "handed over by Manager Li" in after["text"]
    assert "🔑 Keys handed over" not in str(after.get("reply_markup"))

    await idle(running_bot)
    async with session_factory() as s:
        app = await s.scalar(select(MoveInApplication))
        assert app.status == ApplicationStatus.APPROVED
        residency = await s.get(Residency, app.residency_id)
        assert residency.status == ResidencyStatus.ACTIVE
        docs = (await s.scalars(select(ApplicationDocument))).all()
        assert len(docs) == 3 and all(d.application_id == app.id for d in docs)
        assert len((await s.scalars(select(KeyHandover))).all()) == 1
    assert [e.action for e in await audit_actions(session_factory, action="movein.approved")]


async def test_non_staff_pressing_approve_is_refused_and_audited(
    running_bot, emulator, session_factory
):
    community = await _community(session_factory)
    async with session_factory() as s:
        await make_staff(s, community, 902, "Tech Wang", StaffRole.TECHNICIAN, locale="en")
        await s.commit()
    group = _admin_group(emulator)
    group.add_member(902, "Tech Wang")
    user = emulator.user(504, "Applicant", language_code="en")
    await _apply(user)
    card = await group.expect("Move-in application #", button="✅ Approve")
    group.skip()

    refused = await group.press(card, "✅ Approve", from_user=901)
    assert refused["show_alert"] and "manager" in refused["text"]
    refused = await group.press(card, "✅ Approve", from_user=902)
    assert refused["show_alert"]
    await group.expect_nothing(within=0.3)
    refusals = await audit_actions(
        session_factory, wait_for=2, action="movein.approve", allowed=False
    )
    assert [r.actor_telegram_id for r in refusals] == [901, 902]
    async with session_factory() as s:
        app = await s.scalar(select(MoveInApplication))
        assert app.status == ApplicationStatus.SUBMITTED


async def test_reject_and_ask_for_more_are_refused_under_their_own_actions(
    running_bot, emulator, session_factory
):
    # The card's two prompt buttons share a handler; the staff gate still checks and
    # audits each under its own action.
    community = await _community(session_factory)
    async with session_factory() as s:
        await make_staff(s, community, 902, "Tech Wang", StaffRole.TECHNICIAN, locale="en")
        await s.commit()
    group = _admin_group(emulator)
    group.add_member(902, "Tech Wang")
    user = emulator.user(505, "Applicant", language_code="en")
    await _apply(user)
    card = await group.expect("Move-in application #", button="❌ Reject")
    group.skip()

    refused = await group.press(card, "❌ Reject", from_user=902)
    assert refused["show_alert"] and "manager" in refused["text"]
    refused = await group.press(card, "📎 Ask for more", from_user=902)
    assert refused["show_alert"] and "manager" in refused["text"]
    await group.expect_nothing(within=0.3)
    refusals = await audit_actions(session_factory, wait_for=2, allowed=False)
    assert [(r.action, r.actor_telegram_id) for r in refusals] == [
        ("movein.reject", 902),
        ("movein.ask_more", 902),
    ]


async def _apply(user, building="3栋", unit="1201", role="Owner"):
    await user.send("/movein")
    entry = await user.expect(button="📝 Apply with my documents")
    await user.press(entry, "📝 Apply with my documents")
    msg = await user.expect_edit(button=building)
    await user.press(msg, building)
    msg = await user.expect_edit(button=unit)
    await user.press(msg, unit)
    msg = await user.expect_edit(button=role)
    await user.press(msg, role)
    if role == "Tenant":
        await user.expect("lease run")
        await user.send("2099-01-01")
        await user.expect("too far ahead")
        await user.send("2030-06-30")
    await user.expect("Your full name")
    await user.send("Test Person")
    await user.expect("phone number")
    await user.send_contact("+8613700003333")
    await user.expect("ID card")
    await user.send_photo(jpeg())
    msg = await user.expect("Received", button="Continue ➡")
    await user.press(msg, "Continue ➡")
    await user.expect("a PDF.")
    await user.send_document(b"%PDF-1.4 test", "lease.pdf", "application/pdf")
    msg = await user.expect("Received", button="Continue ➡")
    await user.press(msg, "Continue ➡")
    await _accept_documents(user)
    summary = await user.expect(button="📨 Submit")
    await user.press(summary, "📨 Submit")
    await user.expect("is with the property office")


async def test_reject_with_reason_and_ask_for_more(running_bot, emulator, session_factory):
    await _community(session_factory)
    group = _admin_group(emulator)
    user = emulator.user(505, "Tenant", language_code="en")
    await _apply(user, role="Tenant")
    card = await group.expect("Move-in application #", button="📎 Ask for more")
    assert "Lease until" in card["text"]

    await group.press(card, "📎 Ask for more", from_user=900)
    prompt = await group.expect("reply to this message")
    await group.send(900, "Please send the page with the landlord's signature", reply_to=prompt)
    await group.expect("Sent to the applicant")
    request = await user.expect("needs more from you", button="📎 Send documents")
    assert "landlord's signature" in request["text"]
    await user.press(request, "📎 Send documents")
    await user.expect("Send the photos or files")
    await user.send_photo(jpeg((9, 9, 9)))
    msg = await user.expect("Received", button="Continue ➡")
    await user.press(msg, "Continue ➡")
    await user.expect("look at your application again")
    new_card = await group.expect("Move-in application #", button="❌ Reject")
    assert "1 additional" in new_card["text"]

    await group.press(new_card, "❌ Reject", from_user=900)
    prompt = await group.expect("reason for rejecting")
    await group.send(900, "/cancel")
    await group.expect("Left as it was")
    await group.press(new_card, "❌ Reject", from_user=900)
    prompt = await group.expect("reason for rejecting")
    await group.send(900, "The lease is not signed by the owner", reply_to=prompt)
    await group.expect("Rejected. I have told the applicant.")
    told = await user.expect("could not approve")
    assert "not signed by the owner" in told["text"]
    async with session_factory() as s:
        app = await s.scalar(select(MoveInApplication))
        assert app.status == ApplicationStatus.REJECTED
        residency = await s.get(Residency, app.residency_id)
        assert residency.status == ResidencyStatus.REJECTED


async def test_a_restart_in_the_middle_of_an_application_loses_nothing(
    settings, emulator, session_factory
):
    await _community(session_factory)
    group = _admin_group(emulator)
    user = emulator.user(506, "Restart", language_code="en")
    async with start_bot(settings, emulator):
        await user.send("/movein")
        entry = await user.expect(button="📝 Apply with my documents")
        await user.press(entry, "📝 Apply with my documents")
        msg = await user.expect_edit(button="5栋")
        await user.press(msg, "5栋")
        msg = await user.expect_edit(button="501")
        await user.press(msg, "501")
        msg = await user.expect_edit(button="Family member of the owner or tenant")
        await user.press(msg, "Family member of the owner or tenant")
        await user.expect("Your full name")
        await user.send("Restart Person")
        await user.expect("phone number")
        await user.send_contact("+8613600004444")
        await user.expect("ID card")
        await user.send_photo(jpeg())
        received = await user.expect("Received", button="Continue ➡")
    # The bot is down; the person keeps going and the update waits at Telegram.
    await user.press(received, "Continue ➡", wait=False)
    async with start_bot(settings, emulator):
        await user.expect("household")
        await user.send_photo(jpeg((50, 60, 70)))
        msg = await user.expect("Received", button="Continue ➡")
        await user.press(msg, "Continue ➡")
        await _accept_documents(user)
        summary = await user.expect(button="📨 Submit")
        assert "Restart Person" in summary["text"] and "5栋-501" in summary["text"]
        assert "1 ID, 1 proof" in summary["text"]
        await user.press(summary, "📨 Submit")
        await user.expect("is with the property office")
        card = await group.expect("Move-in application #")
        assert "family member" in card["text"]


async def test_cancel_leaves_cleanly(running_bot, emulator, session_factory):
    await _community(session_factory)
    user = emulator.user(507, "Cancel", language_code="en")
    await user.send("/movein")
    entry = await user.expect(button="📝 Apply with my documents")
    await user.press(entry, "📝 Apply with my documents")
    msg = await user.expect_edit(button="✖ Cancel")
    await user.press(msg, "✖ Cancel")
    await user.expect("Cancelled. Nothing was saved.")
    await user.send("Zhang San")
    await user.expect("didn't catch that")


async def test_in_a_forum_applications_get_their_own_topic(running_bot, emulator, session_factory):
    async with session_factory() as s:
        community = await make_community(
            s, "Forum Garden", admin_chat_id=ADMIN_CHAT, is_forum=True, locale="en"
        )
        await make_unit(s, community, "3栋", "1201")
        await make_staff(s, community, 900, "Manager Li", StaffRole.MANAGER, locale="en")
        await s.commit()
    group = emulator.group(ADMIN_CHAT, "Forum staff", is_forum=True)
    group.add_member(900, "Manager Li", "administrator")
    user = emulator.user(508, "Forum", language_code="en")
    await _apply(user)
    card = await group.expect("Move-in application #")
    topic = group.topic("Move-in applications")
    assert card["message_thread_id"] == topic.thread_id
    await group.press(card, "✅ Approve", from_user=900)
    await group.expect("Hand over keys", thread_id=topic.thread_id)
    # The topic is reused, not created again.
    other = emulator.user(509, "Second", language_code="en")
    await _apply(other, unit="1201")
    await group.expect("Move-in application #2", thread_id=topic.thread_id)
    assert [t.name for t in group.topics.values()].count("Move-in applications") == 1
