"""Consent, enrollment, deletion and counts against the real database (no engine: the
templates here are random vectors; the gate and chat tests use real photos)."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from access.faces.models import ConsentKind, FaceConsent, FaceTemplate, TemplateStatus
from access.faces.registry import FaceIndexes, RunnerSource, decrypt_rows
from access.faces.store import (
    FaceError,
    StoredTemplate,
    add_pending_template,
    delete_face_data,
    enrollment_counts,
    face_status,
    finish_enrollment,
    household_members,
    new_enrollment_key,
    purge_pending,
    record_consent,
    text_digest,
)
from access.runner import TxRunner
from core.models import AuditEntry, ResidencyRole
from core.residents import end_residency, erase_personal_data, personal_export
from tests.conftest import TEST_SECRET
from tests.faces_chat.conftest import START
from tests.factories import make_resident

rng = np.random.default_rng(7)


def vec() -> np.ndarray:
    return rng.normal(0, 0.1, 128).astype(np.float32)


class Clock:
    def now(self):
        return START


async def consent(session, home, subject, *, by=None, kind=ConsentKind.SELF, minor=False):
    return await record_consent(
        session,
        community_id=home.community.id,
        subject_person_id=subject.id,
        given_by_person_id=(by or subject).id,
        kind=kind,
        minor=minor,
        text_sha256=text_digest("the consent text"),
        locale="en",
        now=START,
    )


async def enroll(session, home, subject, vectors, *, by=None) -> int:
    key = new_enrollment_key()
    for v in vectors:
        await add_pending_template(
            session,
            community_id=home.community.id,
            person_id=subject.id,
            actor_person_id=(by or subject).id,
            enrollment=key,
            template=v,
            model="Dlib",
            secret_key=TEST_SECRET,
            now=START,
        )
    done = await finish_enrollment(
        session,
        community_id=home.community.id,
        person_id=subject.id,
        actor_person_id=(by or subject).id,
        enrollment=key,
        model="Dlib",
        secret_key=TEST_SECRET,
        guard=0.6,
        now=START,
    )
    await session.commit()
    return done.templates


async def test_no_template_without_consent(session, home):
    with pytest.raises(FaceError) as err:
        await enroll(session, home, home.owner, [vec()])
    assert err.value.code == "no_consent"
    assert (await session.scalars(select(FaceTemplate))).all() == []


async def test_consent_is_recorded_with_version_digest_and_time(session, home):
    given = await consent(session, home, home.owner)
    await session.commit()
    row = await session.get(FaceConsent, given.id)
    assert row.kind == ConsentKind.SELF and row.given_by_person_id == home.owner.id
    assert row.text_version and row.text_sha256 == text_digest("the consent text")
    assert row.given_at == START and row.locale == "en" and row.ended_at is None
    audit = (await session.scalars(select(AuditEntry.action))).all()
    assert "faces.consent" in audit


async def test_enroll_encrypts_and_counts(session, home):
    await consent(session, home, home.owner)
    vectors = [vec(), vec()]
    assert await enroll(session, home, home.owner, vectors) == 2
    rows = (await session.scalars(select(FaceTemplate).order_by(FaceTemplate.id))).all()
    assert [r.status for r in rows] == [TemplateStatus.ACTIVE] * 2
    for row, v in zip(rows, vectors, strict=True):
        assert v.tobytes() not in row.blob  # encrypted at rest
    stored = [StoredTemplate(r.id, r.person_id, r.community_id, r.blob) for r in rows]
    pairs, bad = decrypt_rows(stored, TEST_SECRET)
    assert bad == 0 and np.allclose(pairs[0][1], vectors[0])
    # A blob copied onto another person's row does not decrypt.
    swapped = [StoredTemplate(rows[0].id, home.neighbour.id, home.community.id, rows[0].blob)]
    assert decrypt_rows(swapped, TEST_SECRET) == ([], 1)
    assert decrypt_rows(stored, "another secret") == ([], 2)
    status = await face_status(session, home.owner.id, home.community.id)
    assert status.templates == 2 and status.consent is not None
    counts = await enrollment_counts(session, home.community.id)
    assert (counts.enrolled, counts.residents) == (1, 3)


async def test_at_most_three_photos_and_reenrollment_replaces(session, home):
    await consent(session, home, home.owner)
    key = new_enrollment_key()
    for _ in range(3):
        await add_pending_template(
            session,
            community_id=home.community.id,
            person_id=home.owner.id,
            actor_person_id=home.owner.id,
            enrollment=key,
            template=vec(),
            model="Dlib",
            secret_key=TEST_SECRET,
            now=START,
        )
    with pytest.raises(FaceError) as err:
        await add_pending_template(
            session,
            community_id=home.community.id,
            person_id=home.owner.id,
            actor_person_id=home.owner.id,
            enrollment=key,
            template=vec(),
            model="Dlib",
            secret_key=TEST_SECRET,
            now=START,
        )
    assert err.value.code == "too_many"
    assert await enroll(session, home, home.owner, [vec(), vec(), vec()]) == 3
    assert await enroll(session, home, home.owner, [vec()]) == 1
    assert (await face_status(session, home.owner.id, home.community.id)).templates == 1


async def test_household_rules(session, home):
    # Only an owner of the child's unit may consent for the child, as guardian of a minor.
    with pytest.raises(FaceError) as err:
        await consent(
            session, home, home.child, by=home.neighbour, kind=ConsentKind.GUARDIAN, minor=True
        )
    assert err.value.code == "not_household"
    with pytest.raises(FaceError):
        await consent(session, home, home.child, by=home.owner, kind=ConsentKind.GUARDIAN)
    given = await consent(
        session, home, home.child, by=home.owner, kind=ConsentKind.GUARDIAN, minor=True
    )
    assert given.minor and given.unit_id == home.unit.id
    assert await enroll(session, home, home.child, [vec()], by=home.owner) == 1
    # A neighbour can neither enroll nor delete the child.
    with pytest.raises(FaceError):
        await enroll(session, home, home.child, [vec()], by=home.neighbour)
    with pytest.raises(FaceError):
        await delete_face_data(
            session,
            person_id=home.child.id,
            community_id=home.community.id,
            actor_person_id=home.neighbour.id,
            now=START,
        )
    members = await household_members(session, home.owner.id, home.community.id)
    assert [(m.full_name, m.has_telegram, m.templates) for m in members] == [
        ("Wang Xiaobao", False, 1)
    ]
    # An adult member with their own Telegram account must agree themselves.
    teen, _ = await make_resident(session, home.unit, 777, "Wang Da", role=ResidencyRole.FAMILY)
    with pytest.raises(FaceError) as err:
        await consent(session, home, teen, by=home.owner, kind=ConsentKind.HOUSEHOLD)
    assert err.value.code == "member_has_telegram"
    member = await record_consent(
        session,
        community_id=home.community.id,
        subject_person_id=teen.id,
        given_by_person_id=teen.id,
        requested_by_person_id=home.owner.id,
        kind=ConsentKind.MEMBER,
        text_sha256="x" * 64,
        locale="en",
        now=START,
    )
    assert member.requested_by_person_id == home.owner.id
    assert await enroll(session, home, teen, [vec()], by=home.owner) == 1


async def test_delete_removes_at_once_and_withdraws_consent(session, home):
    await consent(session, home, home.owner)
    await enroll(session, home, home.owner, [vec(), vec()])
    deleted = await delete_face_data(
        session,
        person_id=home.owner.id,
        community_id=home.community.id,
        actor_person_id=home.owner.id,
        now=START,
    )
    await session.commit()
    assert deleted.templates == 2
    assert (await session.scalars(select(FaceTemplate))).all() == []
    status = await face_status(session, home.owner.id, home.community.id)
    assert status.templates == 0 and status.consent is None
    consent_row = (await session.scalars(select(FaceConsent))).one()
    assert consent_row.end_reason == "deleted"  # the record of the consent itself stays
    with pytest.raises(FaceError) as err:
        await enroll(session, home, home.owner, [vec()])
    assert err.value.code == "no_consent"


async def test_move_out_deletes_templates(session, home):
    await consent(session, home, home.owner)
    await enroll(session, home, home.owner, [vec()])
    await end_residency(session, home.owner_residency.id, clock=Clock(), reason="moved_out")
    await session.commit()
    assert (await session.scalars(select(FaceTemplate))).all() == []
    assert (await session.scalars(select(FaceConsent.end_reason))).all() == ["moved_out"]


async def test_move_out_of_one_of_two_homes_keeps_templates(session, home):
    from core.models import Residency, ResidencyStatus

    session.add(
        Residency(
            person_id=home.owner.id,
            unit_id=home.other_unit.id,
            role=ResidencyRole.OWNER,
            status=ResidencyStatus.ACTIVE,
        )
    )
    await consent(session, home, home.owner)
    await enroll(session, home, home.owner, [vec()])
    await end_residency(session, home.owner_residency.id, clock=Clock(), reason="moved_out")
    await session.commit()
    assert len((await session.scalars(select(FaceTemplate))).all()) == 1


async def test_erasure_deletes_templates(session, home):
    await consent(session, home, home.neighbour)
    await enroll(session, home, home.neighbour, [vec()])
    await erase_personal_data(session, home.neighbour.id, clock=Clock())
    await session.commit()
    assert (await session.scalars(select(FaceTemplate))).all() == []


async def test_abandoned_enrollments_are_purged(session, home):
    await consent(session, home, home.owner)
    await add_pending_template(
        session,
        community_id=home.community.id,
        person_id=home.owner.id,
        actor_person_id=home.owner.id,
        enrollment=new_enrollment_key(),
        template=vec(),
        model="Dlib",
        secret_key=TEST_SECRET,
        now=START,
    )
    await session.commit()
    assert await purge_pending(session, START + timedelta(minutes=5)) == 0
    assert await purge_pending(session, START + timedelta(hours=2)) == 1
    await session.commit()
    assert (await session.scalars(select(FaceTemplate))).all() == []


async def test_indexes_follow_the_change_counter(session, home, database_url):
    runner = TxRunner(database_url)
    try:
        indexes = FaceIndexes(RunnerSource(runner), TEST_SECRET, "Dlib")
        index = await indexes.get(home.community.id)
        assert len(index) == 0
        await consent(session, home, home.owner)
        owner_vec = vec()
        await enroll(session, home, home.owner, [owner_vec])
        # Another process changed the data: the next get() sees the counter and rebuilds.
        index = await indexes.get(home.community.id)
        assert home.owner.id in index and len(index) == 1
        assert index.search(owner_vec).best.person_id == home.owner.id
        await delete_face_data(
            session,
            person_id=home.owner.id,
            community_id=home.community.id,
            actor_person_id=home.owner.id,
            now=START,
        )
        await session.commit()
        assert await indexes.sync() == [home.community.id]
        assert home.owner.id not in await indexes.get(home.community.id)
        assert indexes.info(home.community.id).templates == 0
    finally:
        await runner.close()


async def test_privacy_export_lists_consents_and_enrolment_without_templates(session, home):
    await consent(session, home, home.owner)
    vectors = [vec(), vec()]
    await enroll(session, home, home.owner, vectors)
    export = await personal_export(session, home.owner.id)
    faces = export["faces"]
    assert export["person"]["full_name"] == home.owner.full_name
    [given] = faces["consents"]
    assert (given["about"], given["given_by"], given["kind"]) == ("me", "me", "self")
    assert given["given_at"].startswith(START.date().isoformat()) and given["ended_at"] is None
    [enrolled] = faces["enrolled"]
    assert (enrolled["templates"], enrolled["model"]) == (2, "Dlib")
    assert enrolled["community"] == home.community.name
    # The templates themselves never leave the database.
    text = json.dumps(export, ensure_ascii=False)
    assert "blob" not in text and vectors[0].tobytes().hex()[:16] not in text
    # After "delete my face data" the export shows the consent withdrawn, nothing enrolled.
    await delete_face_data(
        session,
        community_id=home.community.id,
        person_id=home.owner.id,
        actor_person_id=home.owner.id,
        now=START,
    )
    await session.commit()
    after = (await personal_export(session, home.owner.id))["faces"]
    assert after["enrolled"] == [] and after["consents"][0]["ended_at"] is not None
