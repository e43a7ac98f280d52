"""The look-alike guard: a face enrolled nearer than the guard distance to someone else's
pairs them; face alone then opens for neither (``second_factor``), both are told, staff
see the count, and deleting either face ends the pair."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from access.faces.models import FaceLookalike
from access.faces.store import (
    delete_face_data,
    enrollment_counts,
    has_lookalike,
    personal_face_data,
)
from access.gates import create_gate
from tests.conftest import TEST_SECRET
from tests.faces_chat.conftest import START, liveness_off, photo
from tests.faces_chat.test_e2e import at_gate, send_and_check, world  # noqa: F401
from tests.faces_chat.test_gate import api, enroll, face  # noqa: F401

pytestmark = pytest.mark.faces

GROUP_ID = -1001000000088
MANAGER_ID = 601


def at_distance(template: np.ndarray, distance: float, seed: int = 3) -> np.ndarray:
    """A vector exactly ``distance`` from ``template`` (a stand-in for a relative's face:
    the rule is about distances, the engine is tested with real photos elsewhere)."""
    direction = np.random.default_rng(seed).normal(size=template.shape).astype(np.float32)
    direction /= np.linalg.norm(direction)
    return (template + distance * direction).astype(np.float32)


@pytest.fixture
async def gate(session, home) -> tuple[int, str]:
    created = await create_gate(
        session, secret_key=TEST_SECRET, community_id=home.community.id, name="East Gate"
    )
    await liveness_off(session, created.gate.id)
    await session.commit()
    return created.gate.id, created.api_key


async def pairs(session) -> list[tuple[int, int]]:
    rows = (await session.scalars(select(FaceLookalike))).all()
    return [(r.person_a_id, r.person_b_id) for r in rows]


async def test_pair_found_refused_at_gate_and_cleared_by_deletion(
    session,
    home,
    gate,
    api,  # noqa: F811
    template_of,
):
    obama = template_of("obama_portrait.jpg")
    await enroll(session, home, home.owner, [obama, template_of("obama_east_room.jpg")])
    await enroll(session, home, home.child, [template_of("collins.jpg")], by=home.owner)
    assert await pairs(session) == []  # different people: far apart
    assert (await face(api, gate, photo("obama_podium.jpg")))[1]["granted"] is True

    # A relative enrolls: nearer than the guard (0.60) but far enough that the 1:N
    # search still picks the right person (the runner-up clears the 0.10 margin).
    await enroll(session, home, home.neighbour, [at_distance(obama, 0.56)])
    low, high = sorted((home.owner.id, home.neighbour.id))
    assert await pairs(session) == [(low, high)]
    assert await has_lookalike(session, home.owner.id, home.community.id)
    counts = await enrollment_counts(session, home.community.id, "Dlib")
    assert counts.lookalike_pairs == 1
    [enrolled] = (await personal_face_data(session, home.owner.id))["enrolled"]
    assert enrolled["look_alikes"] == 1

    status, body = await face(api, gate, photo("obama_podium.jpg"))
    assert (status, body["granted"], body["reason"]) == (200, False, "second_factor")
    assert body["door"] == "not_commanded"
    # The child is in no pair: face alone still opens for them.
    assert (await face(api, gate, photo("collins_crop.jpg")))[1]["granted"] is True

    # Deleting either face ends the pair: face alone opens again for the other.
    await delete_face_data(
        session,
        person_id=home.neighbour.id,
        community_id=home.community.id,
        actor_person_id=home.neighbour.id,
        now=START,
    )
    await session.commit()
    assert await pairs(session) == []
    assert (await face(api, gate, photo("obama_podium.jpg")))[1]["granted"] is True


async def test_re_enrolling_recomputes_the_pair(session, home, template_of):
    obama = template_of("obama_portrait.jpg")
    await enroll(session, home, home.owner, [obama])
    await enroll(session, home, home.neighbour, [at_distance(obama, 0.5)])
    assert len(await pairs(session)) == 1
    # The neighbour re-enrolls with photos far from the owner's: no pair any more.
    await enroll(session, home, home.neighbour, [template_of("collins.jpg")])
    assert await pairs(session) == []
    # Just outside the guard: no pair either.
    await enroll(session, home, home.neighbour, [at_distance(obama, 0.62)])
    assert await pairs(session) == []


async def test_both_told_and_staff_see_the_count(world, session, emulator, template_of):  # noqa: F811
    w = world
    # The neighbour is already enrolled with a face very near the owner's.
    await enroll(
        session, w.home, w.home.neighbour, [at_distance(template_of("obama_portrait.jpg"), 0.3)]
    )
    me = w.owner
    await me.send("/face")
    home = await me.expect("Face access")
    await me.press(home, "📸 Enroll my face")
    consent = await me.expect("please read before you agree")
    await me.press(consent, "✅ I agree")
    await me.expect("Now send 1 to 3 selfies")
    verdict = await send_and_check(me, "obama_portrait.jpg")
    await me.press(verdict, "✅ Done")
    done = await me.expect("Face access is on")
    assert "very close to that of another resident" in done["text"]
    assert "no longer opens the gate" in done["text"]
    notice = await w.neighbour.expect("Someone who looks very much like you")
    assert "your face alone no longer opens it" in notice["text"]

    assert (await at_gate(w, "obama_podium.jpg"))["reason"] in {"second_factor", "ambiguous"}

    group = emulator.group(GROUP_ID)
    await group.send(MANAGER_ID, "/faces")
    counts = await group.expect("Face access in Sunny Garden")
    assert "Look-alike pairs" in counts["text"] and ": 1." in counts["text"]
