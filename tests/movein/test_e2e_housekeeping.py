"""The move-in area's hourly housekeeping against the emulator: a tenancy whose lease
is over ends (tenant told, keys card for staff), and an application that never
reached the admin group is posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from core.agreements import accepted, render_agreement
from core.clock import SystemClock
from core.models import Residency, ResidencyRole, ResidencyStatus
from core.movein_models import AgreementKind, ApplicationDocument, DocumentKind, MoveInApplication
from core.residents import add_draft_document, submit_application
from handlers.movein.jobs import movein_housekeeping
from tests.factories import make_community, make_person, make_resident, make_unit

CHAT = -1002223334445


async def test_housekeeping_ends_leases_and_posts_waiting_applications(
    running_bot, emulator, session_factory
):
    clock = SystemClock()
    today = clock.now().date()
    async with session_factory() as s:
        community = await make_community(
            s, "Sunny Garden", admin_chat_id=CHAT, is_forum=False, locale="en"
        )
        unit = await make_unit(s, community, "3栋", "1201")
        _tenant, residency = await make_resident(
            s, unit, 7777, "Tenant Wu", role=ResidencyRole.TENANT, locale="en"
        )
        residency.end_date = (datetime.now(UTC) - timedelta(days=2)).date()
        applicant = await make_person(s, 7778, "Applicant Li", locale="en")
        other = await make_unit(s, community, "5栋", "501")
        for kind in (DocumentKind.ID, DocumentKind.PROOF):
            await add_draft_document(
                s,
                applicant.id,
                kind,
                media="photo",
                file_id=f"file-{kind}",
                file_unique_id=f"u-{kind}",
                mime_type=None,
                media_group_id=None,
                clock=clock,
            )
        application = await submit_application(
            s,
            person_id=applicant.id,
            unit_id=other.id,
            role=ResidencyRole.OWNER,
            full_name="Applicant Li",
            phone="+8613900000000",
            end_date=None,
            acceptances=[
                accepted(render_agreement(community, kind, "en", today=today), clock.now())
                for kind in AgreementKind
            ],
            clock=clock,
        )
        # Its photos were never uploaded to this Telegram: the card alone is posted.
        await s.execute(delete(ApplicationDocument))
        await s.commit()
    tenant = emulator.user(7777, "Tenant", language_code="en")
    group = emulator.group(CHAT, "Staff")

    await movein_housekeeping(running_bot.ctx)

    told = await tenant.expect("Your lease for 3栋-1201 has ended")
    assert "register the new lease" in told["text"]
    await group.expect("Collect keys and access card from Tenant Wu", button="🔑 Keys returned")
    card = await group.expect(f"Move-in application #{application.id}", button="✅ Approve")
    assert "5栋-501" in card["text"]
    async with session_factory() as s:
        assert (await s.get(Residency, residency.id)).status == ResidencyStatus.ENDED
        posted = await s.scalar(select(MoveInApplication))
        assert posted.admin_chat_id == CHAT and posted.admin_message_id == card["message_id"]

    # Nothing left to do: a second run posts and tells nobody again.
    group.skip()
    await movein_housekeeping(running_bot.ctx)
    await group.expect_nothing(within=0.5)
