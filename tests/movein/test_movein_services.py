"""The services behind the move-in and profile conversations (core.movein): what the
chat steps accept, and the look-ups the office's cards make."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.agreements import accepted, render_agreement
from core.clock import FrozenClock
from core.invitations import InvitationError, issue_unit_invitations
from core.models import Building, Person, ResidencyRole, ResidencyStatus
from core.movein.homes import building_in_community, join_with_invitation
from core.movein.office import (
    application_awaiting_documents,
    family_member_card,
    forget_movein_thread,
    learn_person_name,
    person_names,
    remember_movein_thread,
    residency_card,
    saved_movein_thread,
    unposted_applications,
)
from core.movein.rules import (
    LOOKS_LIKE_CODE,
    acceptable_document,
    clean_name,
    lease_end_problem,
    parse_date,
    shared_phone,
)
from core.movein_models import AgreementAcceptance, AgreementKind, DocumentKind, Invitation
from core.residents import add_draft_document, end_residency, submit_application
from tests.factories import make_community, make_person, make_resident, make_unit

SECRET = "test-secret"
NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FrozenClock(NOW)


def test_names_are_letters_tidied():
    assert clean_name("  王   小明 ") == "王 小明"
    assert clean_name("Anna Smith") == "Anna Smith"
    for bad in ("A", "R2-D2", "/start", "a@b", "x" * 61, "<b>Bob</b>"):
        assert clean_name(bad) is None, bad


def test_lease_dates_are_parsed_and_judged_on_the_communitys_day():
    assert parse_date("2027-06-30") == date(2027, 6, 30)
    assert parse_date(" 2027/6/3 ") == date(2027, 6, 3)
    assert parse_date("2027年6月30日") == date(2027, 6, 30)
    assert parse_date("2027年6月30") == date(2027, 6, 30)
    assert parse_date("2027-02-30") is None
    assert parse_date("30.06.2027") is None
    today = date(2026, 3, 2)
    assert lease_end_problem(today, today) == "past"
    assert lease_end_problem(date(2026, 3, 3), today) is None
    assert lease_end_problem(date(2056, 12, 31), today) is None
    assert lease_end_problem(date(2057, 1, 1), today) == "too_far"


def test_documents_phones_and_code_look_alikes():
    assert acceptable_document("image/heic") and acceptable_document("application/PDF")
    assert not acceptable_document("application/zip") and not acceptable_document(None)
    assert shared_phone(" 8613800000000 ") == "+8613800000000"
    assert shared_phone("+44 20") == "+44 20"
    assert len(shared_phone("1" * 40)) == 32
    # "hello world" looks like one too: the step then says it is not a valid code.
    for text in ("ABCDE-FGHJK", "abcde fghjk", "ABCDEFGHJK", "hello world"):
        assert LOOKS_LIKE_CODE.match(text), text
    for text in ("ABCD-FGHJK", "hi there", "ABCDE--FGHJK", "ABCDE-FGHJK1"):
        assert not LOOKS_LIKE_CODE.match(text), text


async def test_residency_cards_stay_in_their_community(session, clock):
    garden = await make_community(session, "Garden")
    other = await make_community(session, "Other")
    unit = await make_unit(session, garden, "3栋", "1201")
    owner, owner_residency = await make_resident(session, unit, 7001, "Owner Wang")
    family, family_residency = await make_resident(
        session, unit, None, "Little Wang", role=ResidencyRole.FAMILY
    )
    stranger = await make_person(session, 7002, "Stranger")
    await session.commit()

    card = await residency_card(session, owner_residency.id, community_id=garden.id)
    assert card is not None and card.is_active
    assert (card.unit_label, card.person.full_name, card.community.id) == (
        "3栋-1201",
        "Owner Wang",
        garden.id,
    )
    assert await residency_card(session, owner_residency.id, community_id=other.id) is None
    assert await residency_card(session, 999_999) is None

    assert (await family_member_card(session, owner.id, family_residency.id)) is not None
    assert await family_member_card(session, stranger.id, family_residency.id) is None
    assert await family_member_card(session, family.id, owner_residency.id) is None

    await end_residency(session, owner_residency.id, clock=clock, reason="moved_out")
    card = await residency_card(session, owner_residency.id)
    assert card is not None and not card.is_active
    # An owner who moved out no longer answers for the household.
    assert await family_member_card(session, owner.id, family_residency.id) is None


async def test_names_buildings_and_the_movein_topic(session):
    garden = await make_community(session, "Garden", admin_chat_id=-100123)
    other = await make_community(session, "Other")
    await make_unit(session, garden, "3栋", "1201")
    nameless = await make_person(session, 7003, "")
    named = await make_person(session, 7004, "Li")
    await session.commit()

    building = await session.scalar(select(Building).where(Building.community_id == garden.id))
    assert await building_in_community(session, building.id, garden.id) is building
    assert await building_in_community(session, building.id, other.id) is None
    assert await building_in_community(session, building.id, None) is None

    await learn_person_name(session, nameless.id, "Manager " + "x" * 200)
    await learn_person_name(session, named.id, "Someone Else")
    assert len(nameless.full_name) == 120 and named.full_name == "Li"
    names = await person_names(session, [named.id, None, 0, named.id, 999_999])
    assert names == {named.id: "Li", 999_999: "?"}

    assert saved_movein_thread(garden) is None
    remember_movein_thread(garden, 42)
    assert saved_movein_thread(garden) == 42
    garden.admin_chat_id = -100456  # the group migrated: its topics are not ours
    assert saved_movein_thread(garden) is None
    remember_movein_thread(garden, 43)
    forget_movein_thread(garden)
    assert saved_movein_thread(garden) is None and "movein_thread" not in garden.config


def _acceptances(community, clock):
    return [
        accepted(render_agreement(community, kind, "zh_Hans", today=NOW.date()), clock.now())
        for kind in AgreementKind
    ]


async def _submitted(session, clock, community, person):
    acceptances = _acceptances(community, clock)
    unit = await make_unit(session, community, "5栋", f"{person.id}")
    for kind in (DocumentKind.ID, DocumentKind.PROOF):
        await add_draft_document(
            session,
            person.id,
            kind,
            media="photo",
            file_id=f"f-{kind}",
            file_unique_id=f"u-{kind}",
            mime_type=None,
            media_group_id=None,
            clock=clock,
        )
    return await submit_application(
        session,
        person_id=person.id,
        unit_id=unit.id,
        role=ResidencyRole.OWNER,
        full_name=person.full_name,
        phone="+8613900000000",
        end_date=None,
        acceptances=acceptances,
        clock=clock,
    )


async def test_applications_waiting_to_be_posted_or_for_documents(session, clock):
    bound = await make_community(session, "Bound", admin_chat_id=-100777)
    unbound = await make_community(session, "Unbound")
    a = await make_person(session, 7101, "A")
    b = await make_person(session, 7102, "B")
    c = await make_person(session, 7103, "C")
    first = await _submitted(session, clock, bound, a)
    await _submitted(session, clock, unbound, b)
    posted = await _submitted(session, clock, bound, c)
    posted.admin_message_id = 5
    await session.commit()
    assert await unposted_applications(session) == [first.id]

    assert await application_awaiting_documents(session, first.id, a.id) is None
    first.status = first.status.MORE_INFO
    await session.flush()
    assert await application_awaiting_documents(session, first.id, a.id) is first
    assert await application_awaiting_documents(session, first.id, b.id) is None
    assert await application_awaiting_documents(session, 999_999, a.id) is None


async def test_joining_with_an_invitation_keeps_name_phone_and_agreements(session, clock):
    community = await make_community(session)
    await make_unit(session, community, "1栋", "101")
    issued = await issue_unit_invitations(session, community, secret_key=SECRET, clock=clock)
    person = await make_person(session, 9001, "", phone=None)
    acceptances = _acceptances(community, clock)
    invitation_id = issued[0].invitation_id
    with pytest.raises(InvitationError) as exc:
        await join_with_invitation(
            session,
            invitation_id,
            person.id,
            community_id=community.id,
            role=ResidencyRole.TENANT,
            end_date=date(2026, 3, 1),
            full_name="Tenant Wu",
            phone="+8613800000001",
            acceptances=acceptances,
            clock=clock,
        )
    assert exc.value.code == "end_date_required"

    joined = await join_with_invitation(
        session,
        invitation_id,
        person.id,
        community_id=community.id,
        role=ResidencyRole.OWNER,
        end_date=None,
        full_name="Owner Wu",
        phone="+8613800000001",
        acceptances=acceptances,
        clock=clock,
    )
    assert joined.residency.status == ResidencyStatus.ACTIVE
    assert joined.community.id == community.id
    fresh = await session.get(Person, person.id)
    assert (fresh.full_name, fresh.phone) == ("Owner Wu", "+8613800000001")
    kept = (await session.scalars(select(AgreementAcceptance))).all()
    assert {a.document for a in kept} == set(AgreementKind)
    assert all(a.residency_id == joined.residency.id for a in kept)
    assert (await session.get(Invitation, invitation_id)).uses == 1
