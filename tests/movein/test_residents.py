"""Move-in services on the real database: applications, invitations, residencies,
document purge and a person's own data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.agreements import accepted, render_agreement
from core.clock import FrozenClock
from core.invitations import (
    InvitationError,
    code_from_payload,
    create_family_invitation,
    deep_link_payload,
    find_invitation,
    hash_code,
    issue_unit_invitations,
    normalize_code,
    record_failure,
    redeem_invitation,
)
from core.lifecycle import _hooks, on_residency_ended
from core.models import Person, Residency, ResidencyRole, ResidencyStatus
from core.movein_models import (
    AgreementAcceptance,
    AgreementKind,
    ApplicationDocument,
    ApplicationStatus,
    DocumentKind,
    Invitation,
)
from core.residents import (
    ResidentsError,
    add_draft_document,
    add_family_member,
    approve_application,
    end_expired_tenancies,
    end_residency,
    erase_personal_data,
    personal_data,
    purge_documents,
    reject_application,
    request_more_documents,
    submit_application,
)
from tests.factories import make_community, make_person, make_resident, make_staff, make_unit

SECRET = "test-secret"
NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FrozenClock(NOW)


async def _acceptances(community, clock):
    return [
        accepted(render_agreement(community, kind, "zh_Hans", today=NOW.date()), clock.now())
        for kind in AgreementKind
    ]


async def _upload(session, person, kind, clock, n=1, group=None):
    for i in range(n):
        await add_draft_document(
            session,
            person.id,
            kind,
            media="photo",
            file_id=f"file-{kind}-{i}",
            file_unique_id=f"u-{kind}-{i}",
            mime_type=None,
            media_group_id=group,
            clock=clock,
        )


async def _application(session, clock, role=ResidencyRole.OWNER, end_date=None):
    community = await make_community(session)
    unit = await make_unit(session, community, "3栋", "1201")
    person = await make_person(session, 7001, "张三")
    await _upload(session, person, DocumentKind.ID, clock)
    await _upload(session, person, DocumentKind.PROOF, clock, n=2)
    app = await submit_application(
        session,
        person_id=person.id,
        unit_id=unit.id,
        role=role,
        full_name="张三",
        phone="+8613900000000",
        end_date=end_date,
        acceptances=await _acceptances(community, clock),
        clock=clock,
    )
    return community, unit, person, app


async def test_submit_writes_everything_and_approval_activates(session, clock):
    community, _unit, _person, app = await _application(session, clock)
    manager, _ = await make_staff(session, community)
    await session.commit()
    residency = await session.get(Residency, app.residency_id)
    assert residency.status == ResidencyStatus.PENDING
    docs = (await session.scalars(select(ApplicationDocument))).all()
    assert {d.application_id for d in docs} == {app.id} and len(docs) == 3
    acc = (await session.scalars(select(AgreementAcceptance))).all()
    assert {a.document for a in acc} == set(AgreementKind)
    assert all(a.version == "2026.1" and len(a.content_sha256) == 64 for a in acc)

    approved = await approve_application(
        session,
        app.id,
        staff_person_id=manager.id,
        staff_telegram_id=manager.telegram_id,
        clock=clock,
    )
    assert approved.status == ApplicationStatus.APPROVED
    await session.refresh(residency)
    assert residency.status == ResidencyStatus.ACTIVE
    assert residency.start_date == date(2026, 3, 2)
    # A second decision (another staff member pressing at the same time) is refused.
    with pytest.raises(ResidentsError) as exc:
        await reject_application(
            session, app.id, "late", staff_person_id=manager.id, staff_telegram_id=1, clock=clock
        )
    assert exc.value.code == "not_open"


async def test_submit_needs_proof_and_a_lease_end_for_tenants(session, clock):
    community = await make_community(session)
    unit = await make_unit(session, community)
    person = await make_person(session)
    kwargs = dict(
        person_id=person.id,
        unit_id=unit.id,
        role=ResidencyRole.OWNER,
        full_name="张三",
        phone="+86139",
        end_date=None,
        acceptances=await _acceptances(community, clock),
        clock=clock,
    )
    with pytest.raises(ResidentsError) as exc:
        await submit_application(session, **kwargs)
    assert exc.value.code == "missing_id"
    await _upload(session, person, DocumentKind.ID, clock)
    with pytest.raises(ResidentsError) as exc:
        await submit_application(session, **kwargs)
    assert exc.value.code == "missing_proof"
    await _upload(session, person, DocumentKind.PROOF, clock)
    with pytest.raises(ResidentsError) as exc:
        await submit_application(session, **{**kwargs, "role": ResidencyRole.TENANT})
    assert exc.value.code == "end_date_required"
    app = await submit_application(
        session, **{**kwargs, "role": ResidencyRole.TENANT, "end_date": date(2027, 3, 1)}
    )
    assert app.end_date == date(2027, 3, 1)
    with pytest.raises(ResidentsError) as exc:
        await submit_application(session, **kwargs)
    assert exc.value.code == "already_applied"


async def test_ask_for_more_then_reject(session, clock):
    community, _, person, app = await _application(session, clock)
    manager, _ = await make_staff(session, community)
    await request_more_documents(
        session, app.id, "请补充房产证内页", staff_person_id=manager.id, staff_telegram_id=None
    )
    from core.residents import add_more_documents

    with pytest.raises(ResidentsError):
        await add_more_documents(session, app.id, person.id)
    await _upload(session, person, DocumentKind.EXTRA, clock)
    again = await add_more_documents(session, app.id, person.id)
    assert again.status == ApplicationStatus.SUBMITTED
    assert [d.kind for d in again.documents].count(DocumentKind.EXTRA) == 1
    rejected = await reject_application(
        session,
        app.id,
        "房号与产权证不符",
        staff_person_id=manager.id,
        staff_telegram_id=None,
        clock=clock,
    )
    residency = await session.get(Residency, app.residency_id)
    assert rejected.decision_reason == "房号与产权证不符"
    assert residency.status == ResidencyStatus.REJECTED


async def test_documents_are_purged_after_retention(session, clock):
    community, _, _, app = await _application(session, clock)
    community.config = {"document_retention_days": 10}
    manager, _ = await make_staff(session, community)
    await approve_application(
        session, app.id, staff_person_id=manager.id, staff_telegram_id=None, clock=clock
    )
    await session.commit()
    clock.advance(timedelta(days=9))
    assert await purge_documents(session, clock) == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert await purge_documents(session, clock) == 3
    await session.commit()
    assert await session.scalar(select(func.count(ApplicationDocument.id))) == 0


async def test_end_residency_runs_hooks_in_the_same_transaction(session, clock):
    community = await make_community(session)
    unit = await make_unit(session, community)
    _, residency = await make_resident(session, unit)
    seen: list[int] = []

    @on_residency_ended("test.seen")
    async def hook(s, r):
        seen.append(r.id)
        assert r.status == ResidencyStatus.ENDED

    try:
        ended = await end_residency(session, residency.id, clock=clock, reason="move_out")
        assert ended.status == ResidencyStatus.ENDED and seen == [residency.id]
        # Idempotent: ending again changes nothing and runs no hook.
        await end_residency(session, residency.id, clock=clock, reason="move_out")
        assert seen == [residency.id]
    finally:
        _hooks.pop("test.seen", None)


async def test_failing_hook_rolls_the_residency_back(session_factory, clock):
    async with session_factory() as session:
        community = await make_community(session)
        unit = await make_unit(session, community)
        _, residency = await make_resident(session, unit)
        await session.commit()

    @on_residency_ended("test.boom")
    async def boom(s, r):
        raise RuntimeError("door controller down")

    try:
        async with session_factory() as session:
            with pytest.raises(RuntimeError):
                await end_residency(session, residency.id, clock=clock, reason="move_out")
            await session.rollback()
        async with session_factory() as session:
            fresh = await session.get(Residency, residency.id)
            assert fresh.status == ResidencyStatus.ACTIVE
    finally:
        _hooks.pop("test.boom", None)


async def test_expired_tenancies_end_in_the_community_time_zone(session, clock):
    community = await make_community(session)
    unit = await make_unit(session, community)
    _, residency = await make_resident(session, unit, role=ResidencyRole.TENANT)
    residency.end_date = date(2026, 3, 2)
    await session.commit()
    assert await end_expired_tenancies(session, clock) == []
    clock.set(datetime(2026, 3, 2, 16, 30, tzinfo=UTC))  # 00:30 on 3 March in Shanghai
    assert await end_expired_tenancies(session, clock) == [residency.id]


# --- invitations -----------------------------------------------------------------------


def test_codes_normalize_and_round_trip_through_deep_links():
    assert normalize_code("abcde-fghjk") == "ABCDEFGHJK"
    assert normalize_code(" ab0de fghik ") == "AB0DEFGH1K"
    assert normalize_code("OOOOO-LLLLL") == "0000011111"
    assert normalize_code("short") is None
    assert code_from_payload(deep_link_payload("ABCDEFGHJK")) == "ABCDEFGHJK"
    assert code_from_payload("v_ABCDEFGHJK") is None


async def test_letterbox_invitations_admit_each_household_member_once(session, clock):
    community = await make_community(session)
    u1 = await make_unit(session, community, "1栋", "101")
    await make_unit(session, community, "1栋", "102")
    issued = await issue_unit_invitations(
        session, community, secret_key=SECRET, clock=clock, max_uses=2
    )
    assert len(issued) == 2
    stored = (await session.scalars(select(Invitation.code_hash))).all()
    assert issued[0].code not in "".join(stored)  # only hashes are kept
    assert hash_code(SECRET, issued[0].code) in stored

    code = issued[0].code
    a = await make_person(session, 9001)
    b = await make_person(session, 9002)
    c = await make_person(session, 9003)
    inv = await find_invitation(
        session, code, secret_key=SECRET, clock=clock, telegram_id=9001, person_id=a.id
    )
    r = await redeem_invitation(
        session,
        inv.id,
        a.id,
        role=ResidencyRole.OWNER,
        end_date=None,
        today=NOW.date(),
        clock=clock,
    )
    assert r.status == ResidencyStatus.ACTIVE and r.unit_id == u1.id
    with pytest.raises(InvitationError) as exc:
        await find_invitation(
            session, code, secret_key=SECRET, clock=clock, telegram_id=9001, person_id=a.id
        )
    assert exc.value.code == "already_used_by_you"
    inv = await find_invitation(
        session, code, secret_key=SECRET, clock=clock, telegram_id=9002, person_id=b.id
    )
    with pytest.raises(InvitationError) as exc:
        await redeem_invitation(
            session,
            inv.id,
            b.id,
            role=ResidencyRole.TENANT,
            end_date=None,
            today=NOW.date(),
            clock=clock,
        )
    assert exc.value.code == "end_date_required"
    await redeem_invitation(
        session,
        inv.id,
        b.id,
        role=ResidencyRole.FAMILY,
        end_date=None,
        today=NOW.date(),
        clock=clock,
    )
    with pytest.raises(InvitationError) as exc:
        await find_invitation(
            session, code, secret_key=SECRET, clock=clock, telegram_id=9003, person_id=c.id
        )
    assert exc.value.code == "used_up"

    # Re-issuing revokes the old letter.
    await issue_unit_invitations(session, community, secret_key=SECRET, clock=clock)
    with pytest.raises(InvitationError) as exc:
        await find_invitation(
            session, issued[1].code, secret_key=SECRET, clock=clock, telegram_id=9003
        )
    assert exc.value.code == "revoked"


async def test_invitations_expire_and_wrong_codes_are_throttled(session_factory, session, clock):
    community = await make_community(session)
    await make_unit(session, community)
    issued = await issue_unit_invitations(
        session, community, secret_key=SECRET, clock=clock, valid_days=1
    )
    await session.commit()
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(InvitationError) as exc:
        await find_invitation(
            session, issued[0].code, secret_key=SECRET, clock=clock, telegram_id=1
        )
    assert exc.value.code == "expired"
    for _ in range(5):
        await record_failure(session_factory, 4242, clock.now())
    with pytest.raises(InvitationError) as exc:
        await find_invitation(
            session, issued[0].code, secret_key=SECRET, clock=clock, telegram_id=4242
        )
    assert exc.value.code == "throttled"
    clock.advance(timedelta(minutes=16))
    with pytest.raises(InvitationError) as exc:
        await find_invitation(
            session, "0000000000", secret_key=SECRET, clock=clock, telegram_id=4242
        )
    assert exc.value.code == "invalid"


async def test_family_invitation_dies_with_the_owners_residency(session, clock):
    community = await make_community(session)
    unit = await make_unit(session, community)
    _, owner = await make_resident(session, unit)
    inv, code = await create_family_invitation(session, owner, secret_key=SECRET, clock=clock)
    assert inv.role == ResidencyRole.FAMILY and inv.max_uses == 1
    await end_residency(session, owner.id, clock=clock, reason="move_out")
    with pytest.raises(InvitationError) as exc:
        await find_invitation(session, code, secret_key=SECRET, clock=clock, telegram_id=5)
    assert exc.value.code == "revoked"


async def test_owner_adds_family_member_without_telegram(session, clock):
    community = await make_community(session)
    unit = await make_unit(session, community)
    owner, _ = await make_resident(session, unit)
    tenant, _ = await make_resident(session, unit, role=ResidencyRole.TENANT)
    child = await add_family_member(session, owner.id, unit.id, "王小宝", clock=clock)
    assert child.status == ResidencyStatus.ACTIVE and child.role == ResidencyRole.FAMILY
    person = await session.get(Person, child.person_id)
    assert person.telegram_id is None and person.full_name == "王小宝"
    with pytest.raises(ResidentsError) as exc:
        await add_family_member(session, tenant.id, unit.id, "别人", clock=clock)
    assert exc.value.code == "not_owner"


# --- a person's own data -------------------------------------------------------------


async def test_erasure_ends_residencies_and_forgets_the_person(session, clock):
    community, _unit, person, _app = await _application(session, clock)
    other = await make_unit(session, community, "5栋", "501")
    _, lived = await make_resident(session, other, telegram_id=None)
    # Move the second residency to the same person.
    lived.person_id = person.id
    await session.flush()
    data = await personal_data(session, person.id)
    assert data.full_name == "张三" and len(data.applications) == 1
    assert data.applications[0].documents == 3

    await erase_personal_data(session, person.id, clock=clock)
    await session.commit()
    fresh = await session.get(Person, person.id)
    assert (fresh.telegram_id, fresh.full_name, fresh.phone) == (None, "", None)
    statuses = (
        await session.scalars(select(Residency.status).where(Residency.person_id == person.id))
    ).all()
    assert set(statuses) == {ResidencyStatus.ENDED}
    assert await session.scalar(select(func.count(ApplicationDocument.id))) == 0


async def test_staff_must_be_removed_before_erasing(session, clock):
    community = await make_community(session)
    person, _ = await make_staff(session, community)
    with pytest.raises(ResidentsError) as exc:
        await erase_personal_data(session, person.id, clock=clock)
    assert exc.value.code == "is_staff"
