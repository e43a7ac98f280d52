"""An exit is recorded only when its door opens: a granted exit whose relay does not
answer leaves the holder inside, for "who is inside" and the overstay alert."""

from __future__ import annotations

from access.gates import create_gate
from access.models import DoorDriverKind, Pass
from access.presence import inside_now
from access.verification import Credential, Direction, DoorOutcome
from tests.access.helpers import visitor_pass
from tests.conftest import TEST_SECRET


async def test_an_exit_whose_door_failed_leaves_the_holder_inside(session, site, runtime, clock):
    issued = await visitor_pass(session, site, clock.now())
    await session.commit()
    east = await runtime.gates.get(site.gate_ids["东门"])
    assert (await runtime.verify(east, Credential.code(issued.code))).granted
    broken = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=site.community.id,
        name="坏门",
        driver=DoorDriverKind.HTTP,
        driver_config={"url": "http://127.0.0.1:9/", "timeout_s": 0.3},
    )
    await session.commit()
    gate = await runtime.gates.get(broken.gate.id)
    out = await runtime.verify(gate, Credential.code(issued.code), direction=Direction.OUT)
    assert out.granted and out.door == DoorOutcome.FAILED
    row = await session.get(Pass, issued.pass_id)
    await session.refresh(row)
    assert row.inside is True
    rows, total = await inside_now(session, site.community.id)
    assert total == 1 and rows[0].pass_id == issued.pass_id

    # Through a door that opens, the exit is recorded and nobody is left inside.
    out = await runtime.verify(east, Credential.code(issued.code), direction=Direction.OUT)
    assert out.granted and out.door == DoorOutcome.RELEASED
    assert await inside_now(session, site.community.id) == ([], 0)
