"""The rules of delivery and daily-help passes (access.passes.shared), on the real
database and the gate runtime: a courier's window limits; a daily-help pass lives
while one household keeps it — a move-out ends only that household's share, and the
last one leaving ends it at once (erasing the first one's data does not end it for the
others); an invitation joins exactly one household."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from access.models import Pass, PassStatus
from access.passes import PassError, erase_pass_holders
from access.passes.rules import MON_TO_SAT
from access.passes.shared import (
    invite_household,
    issue_daily_help_pass,
    issue_delivery_pass,
    join_household,
)
from access.verification import Credential
from core.db import utcnow
from core.lifecycle import run_residency_end_hooks
from core.models import Residency, ResidencyStatus
from tests.conftest import TEST_SECRET
from tests.factories import make_resident, make_unit


async def test_a_delivery_window_is_30_minutes_to_4_hours(session, site, clock):
    for length in (timedelta(minutes=29), timedelta(hours=4, minutes=1)):
        with pytest.raises(PassError) as err:
            await issue_delivery_pass(
                session,
                secret_key=TEST_SECRET,
                now=clock.now(),
                host_person_id=site.host.id,
                host_unit_id=site.unit.id,
                length=length,
                reusable=True,
            )
        assert err.value.code == "bad_delivery_window"
    assert await session.scalar(select(Pass.id)) is None  # nothing half-written


async def _end(session, person_id: int) -> None:
    residency = await session.scalar(select(Residency).where(Residency.person_id == person_id))
    residency.status = ResidencyStatus.ENDED
    residency.ended_at = utcnow()
    await run_residency_end_hooks(session, residency)
    await session.commit()


async def test_daily_help_lives_while_one_household_keeps_it(session, site, clock, runtime):
    other = await make_unit(session, site.community, "5栋", "0302")
    neighbour, _ = await make_resident(session, other, 5002, "李娜")
    issued = await issue_daily_help_pass(
        session,
        secret_key=TEST_SECRET,
        now=clock.now(),
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        role="cleaner",
        name="陈阿姨",
        daily_start_min=8 * 60,
        daily_end_min=18 * 60,
        weekdays=MON_TO_SAT,
        gate_ids=[],
    )
    today = clock.now().date()
    key = await invite_household(
        session,
        secret_key=TEST_SECRET,
        person_id=site.host.id,
        pass_id=issued.pass_id,
        now=clock.now(),
        today=today,
    )
    await join_household(
        session,
        secret_key=TEST_SECRET,
        key=key,
        person_id=neighbour.id,
        unit_id=other.id,
        now=clock.now(),
    )
    with pytest.raises(PassError) as err:  # the invitation joined one household only
        await join_household(
            session,
            secret_key=TEST_SECRET,
            key=key,
            person_id=neighbour.id,
            unit_id=other.id,
            now=clock.now(),
        )
    assert err.value.code == "invite_unknown"
    await session.commit()
    gate = await runtime.gates.get(site.gate_ids["东门"])
    assert gate is not None

    # The first household moves out and has its data erased: the pass goes on for the
    # neighbour (and still names the cleaner they share).
    await _end(session, site.host.id)
    await erase_pass_holders(session, site.host.id, now=clock.now())
    await session.commit()
    row = await session.get(Pass, issued.pass_id)
    await session.refresh(row)
    assert row.status == PassStatus.ACTIVE and row.holder_name == "陈阿姨"
    decision = await runtime.verify(gate, Credential.code(issued.code))
    assert decision.granted

    # The last household moves out: it stops at once, without any job.
    await _end(session, neighbour.id)
    decision = await runtime.verify(gate, Credential.code(issued.code))
    assert not decision.granted and decision.reason.value == "suspended"
