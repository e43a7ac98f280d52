"""The gate terminal sends a face over real HTTP: the enrolled resident gets in, anyone
else does not, and every decision is in the access log (method face, no image)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import delete, select

from access.api import OPENAPI, serve
from access.faces.models import ConsentKind, FaceTemplate
from access.faces.store import (
    add_pending_template,
    delete_face_data,
    finish_enrollment,
    new_enrollment_key,
    record_consent,
    text_digest,
)
from access.gates import create_gate
from access.models import AccessLogEntry
from access.passes import issue_visitor_pass
from core.residents import end_residency
from tests.conftest import TEST_SECRET
from tests.faces_chat.conftest import START, liveness_off, photo

pytestmark = pytest.mark.faces


@pytest.fixture
async def gate(session, home) -> tuple[int, str]:
    created = await create_gate(
        session, secret_key=TEST_SECRET, community_id=home.community.id, name="East Gate"
    )
    await liveness_off(session, created.gate.id)
    await session.commit()
    return created.gate.id, created.api_key


@pytest.fixture
async def api(runtime) -> AsyncIterator[str]:
    runner = await serve(runtime, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def enroll(session, home, person, templates, *, by=None) -> None:
    by = by or person
    kind = ConsentKind.SELF if by is person else ConsentKind.GUARDIAN
    await record_consent(
        session,
        community_id=home.community.id,
        subject_person_id=person.id,
        given_by_person_id=by.id,
        kind=kind,
        minor=kind == ConsentKind.GUARDIAN,
        text_sha256=text_digest("text"),
        locale="en",
        now=START,
    )
    key = new_enrollment_key()
    for t in templates:
        await add_pending_template(
            session,
            community_id=home.community.id,
            person_id=person.id,
            actor_person_id=by.id,
            enrollment=key,
            template=t,
            model="Dlib",
            secret_key=TEST_SECRET,
            now=START,
        )
    await finish_enrollment(
        session,
        community_id=home.community.id,
        person_id=person.id,
        actor_person_id=by.id,
        enrollment=key,
        model="Dlib",
        secret_key=TEST_SECRET,
        guard=0.6,
        now=START,
    )
    await session.commit()


async def face(api, gate, image: bytes, *, multipart=False, **fields) -> tuple[int, dict]:
    gate_id, key = gate
    url = f"{api}/v1/gates/{gate_id}/verify"
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession() as http:
        if multipart:
            form = aiohttp.FormData()
            form.add_field("face", image, filename="frame.jpg", content_type="image/jpeg")
            for name, value in fields.items():
                form.add_field(name, value)
            request = http.post(url, data=form, headers=headers)
        else:
            request = http.post(
                url, data=image, params=fields, headers={**headers, "Content-Type": "image/jpeg"}
            )
        async with request as response:
            return response.status, await response.json()


def blank_jpeg() -> bytes:
    """A grey frame: decodes, but no face (fast to examine)."""
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (128, 128, 128)).save(buffer, "JPEG")
    return buffer.getvalue()


async def log_rows(session) -> list[AccessLogEntry]:
    return list((await session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))).all())


async def test_enrolled_resident_opens_a_stranger_does_not(
    session, home, gate, api, runtime, template_of
):
    await enroll(
        session,
        home,
        home.owner,
        [template_of("obama_portrait.jpg"), template_of("obama_east_room.jpg")],
    )
    await enroll(session, home, home.neighbour, [template_of("collins.jpg")])

    # Another photo of the enrolled resident (not one of the enrolled ones).
    status, body = await face(
        api, gate, photo("obama_podium.jpg"), multipart=True, terminal="east-cam"
    )
    assert status == 200, body
    assert body["granted"] is True and body["reason"] == "resident"
    assert body["door"] == "released"
    assert body["face_problem"] is None
    door = runtime.doors.existing(gate[0])
    assert door.releases == 1

    # A different person, never enrolled.
    status, body = await face(api, gate, photo("biden.jpg"), multipart=True, direction="in")
    assert status == 200 and body["granted"] is False and body["reason"] == "no_match"
    assert body["holder"] is None and body["door"] == "not_commanded"
    assert door.releases == 1

    rows = await log_rows(session)
    assert [(r.method, r.granted, r.reason) for r in rows] == [
        ("face", True, "resident"),
        ("face", False, "no_match"),
    ]
    assert rows[0].person_id == home.owner.id and rows[0].terminal == "east-cam"
    assert rows[0].holder_name == "Wang Xiaoming"
    assert rows[0].host_unit_id == home.unit.id and rows[1].person_id is None


async def test_look_alikes_are_refused_as_ambiguous(session, home, gate, api, template_of):
    # Two residents enrolled with the same person's face: nobody can tell them apart.
    await enroll(session, home, home.owner, [template_of("obama_portrait.jpg")])
    await enroll(session, home, home.neighbour, [template_of("obama_east_room.jpg")])
    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert (status, body["granted"], body["reason"]) == (200, False, "ambiguous")


async def test_unusable_images_say_what_is_wrong(session, home, gate, api, runtime):
    status, body = await face(api, gate, photo("two_faces.jpg"))
    assert (status, body["granted"], body["reason"]) == (200, False, "face_unusable")
    assert body["face_problem"] == "multiple_faces"
    status, body = await face(api, gate, photo("no_face.jpg"), multipart=True)
    assert body["reason"] == "face_unusable" and body["face_problem"] == "no_face"

    # A frame that does not decode is an unusable face too (it counts as a failure).
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    status, body = await face(api, gate, b"\xff\xd8\xff" + b"\x00" * 100)
    assert (status, body["reason"], body["face_problem"]) == (200, "face_unusable", "not_an_image")

    # Malformed requests are 4xx and are not decisions.
    status, body = await face(api, gate, blank_jpeg(), multipart=True, direction="sideways")
    assert status == 400
    status, body = await face(api, gate, blank_jpeg(), direction="out")  # raw: no fields
    assert status == 400 and "multipart" in body["detail"]
    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData()
        form.add_field("direction", "in")
        form.add_field("terminal", "cam")
        form.add_field("extra", b"x", filename="x.bin")
        async with http.post(
            f"{api}/v1/gates/{gate[0]}/verify",
            data=form,
            headers={"Authorization": f"Bearer {gate[1]}"},
        ) as response:
            assert response.status == 400 and "extra" in (await response.json())["detail"]
        async with http.post(
            f"{api}/v1/gates/{gate[0]}/verify",
            data=b'--b\r\nContent-Disposition: form-data; name="direction"\r\n\r\nin\r\n--b--\r\n',
            headers={
                "Authorization": f"Bearer {gate[1]}",
                "Content-Type": "multipart/form-data; boundary=b",
            },
        ) as response:
            assert response.status == 400 and "face" in (await response.json())["detail"]
    assert [r.reason for r in await log_rows(session)] == ["face_unusable"] * 3

    # A server without face access tells the terminal to use a code (and logs it).
    faces, runtime.faces = runtime.faces, None
    try:
        status, body = await face(api, gate, blank_jpeg())
        assert (status, body["granted"], body["reason"]) == (200, False, "use_code")
    finally:
        runtime.faces = faces


async def test_five_failures_fall_back_to_a_code(session, home, gate, api, runtime, template_of):
    await enroll(session, home, home.owner, [template_of("obama_portrait.jpg")])
    for _ in range(5):
        status, body = await face(api, gate, blank_jpeg())
        assert body["reason"] == "face_unusable"
    # Now even the right face is told to use a code: the gate is on hold for faces.
    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert (status, body["granted"], body["reason"]) == (200, False, "use_code")
    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert body["reason"] == "use_code"

    # Someone gets in with a code: faces are back.
    issued = await issue_visitor_pass(
        session,
        secret_key=TEST_SECRET,
        now=START,
        host_person_id=home.owner.id,
        host_unit_id=home.unit.id,
        holder_name="Zhang San",
        purpose="visit",
        valid_from=START,
        valid_until=START + timedelta(hours=2),
        multi_entry=False,
        gate_ids=[],
    )
    await session.commit()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{api}/v1/gates/{gate[0]}/verify",
            json={"code": issued.code},
            headers={"Authorization": f"Bearer {gate[1]}"},
        ) as response,
    ):
        assert (await response.json())["granted"] is True
    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert body["granted"] is True

    # The hold also ends after a quiet minute.
    for _ in range(5):
        await face(api, gate, blank_jpeg())
    assert (await face(api, gate, blank_jpeg()))[1]["reason"] == "use_code"
    runtime.clock.advance(timedelta(seconds=61))
    assert (await face(api, gate, photo("obama_podium.jpg")))[1]["granted"] is True
    reasons = [r.reason for r in await log_rows(session) if r.method == "face"]
    assert reasons.count("use_code") == 3


async def test_deleted_template_no_longer_opens(session, home, gate, api, runtime, template_of):
    await enroll(session, home, home.owner, [template_of("obama_portrait.jpg")])
    await enroll(
        session, home, home.child, [template_of("collins.jpg")], by=home.owner
    )  # a child enrolled by the owner, as guardian
    assert (await face(api, gate, photo("obama_podium.jpg")))[1]["granted"] is True
    assert (await face(api, gate, photo("collins_crop.jpg")))[1]["granted"] is True
    assert (await log_rows(session))[-1].person_id == home.child.id

    # Deleted by another process (the bot): this process's index is stale until the
    # gate reads the change counter — which it does before every decision.
    await delete_face_data(
        session,
        person_id=home.owner.id,
        community_id=home.community.id,
        actor_person_id=home.owner.id,
        now=START,
    )
    await session.commit()
    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert (status, body["granted"], body["reason"]) == (200, False, "no_match")

    # Even a deletion that lands between the search and the decision wins: the
    # decision re-checks the template inside its transaction.
    index = await runtime.faces.indexes.get(home.community.id)
    assert home.child.id in index
    await session.execute(delete(FaceTemplate).where(FaceTemplate.person_id == home.child.id))
    await session.commit()  # (no counter bump: the index still holds the child)
    status, body = await face(api, gate, photo("collins_crop.jpg"))
    assert body["granted"] is False and body["reason"] == "no_match"


async def test_move_out_ends_face_access(session, home, gate, api, template_of):
    class Clock:
        def now(self):
            return START

    await enroll(session, home, home.owner, [template_of("obama_portrait.jpg")])
    assert (await face(api, gate, photo("obama_podium.jpg")))[1]["granted"] is True
    await end_residency(session, home.owner_residency.id, clock=Clock(), reason="moved_out")
    await session.commit()
    assert (await session.scalars(select(FaceTemplate))).all() == []
    _status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert body["granted"] is False and body["reason"] == "no_match"


async def test_face_requests_conform_to_the_openapi_document(session, home, gate, api):
    """Schemathesis sends valid and invalid JSON, JPEG and multipart requests; every
    answer must match the document and none may be a 5xx."""
    gate_id, key = gate

    def run() -> int:
        import schemathesis
        from hypothesis import HealthCheck, given, settings
        from schemathesis import GenerationMode

        schema = schemathesis.openapi.from_dict(OPENAPI).include(path="/v1/gates/{gate}/verify")
        count = 0
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            negative = mode == GenerationMode.NEGATIVE
            strategy = schema.as_strategy(
                mode,
                path_parameters={"gate": gate_id},
                headers={"Authorization": f"Bearer {key}"},
            )

            @settings(
                max_examples=40,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case) -> None:
                nonlocal count
                if negative and case.media_type != "application/json":
                    # A "schema-invalid" image (an integer, an empty list…) is just more
                    # bytes on the wire: it is an unusable face, answered with a decision.
                    return
                case.call_and_validate(base_url=api)
                count += 1

            check()
        return count

    assert await asyncio.to_thread(run) >= 40
