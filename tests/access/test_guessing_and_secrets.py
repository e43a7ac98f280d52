"""Guessing a code gets nowhere, and the database holds no usable secret."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

import bot.all_models  # noqa: F401
from access.gates import create_gate
from access.models import AccessLogEntry, DoorDriverKind, WorkerCategory
from access.passes import MON_TO_SAT, approve_worker_pass, request_worker_pass
from access.verification import Credential, Reason
from core.db import Base
from tests.access.helpers import bulk_passes, visitor_pass
from tests.conftest import TEST_SECRET
from tests.factories import make_staff


@pytest.mark.slow
async def test_ten_thousand_random_guesses(session, site, runtime, clock, notifier):
    real = await bulk_passes(session, site, clock.now(), 200, hours=24)
    codes = {c for _, c, _ in real}
    rng = random.Random(2026)
    guesses: list[str] = []
    while len(guesses) < 10_000:
        guess = f"{rng.randrange(10**8):08d}"
        if guess not in codes:
            guesses.append(guess)
    gate = await runtime.gates.get(site.gate_ids["东门"])

    # An attacker at the keypad for almost three hours: 100 guesses fired at once,
    # then the next 100 a hundred seconds later.
    decisions = []
    for start in range(0, len(guesses), 100):
        batch = guesses[start : start + 100]
        decisions += await asyncio.gather(
            *(runtime.verify(gate, Credential.code(g)) for g in batch)
        )
        clock.advance(timedelta(seconds=100))

    assert not any(d.granted for d in decisions)
    evaluated = [d for d in decisions if d.reason == Reason.UNKNOWN]
    locked = [d for d in decisions if d.reason == Reason.LOCKED_OUT]
    lockouts = [d.lockout for d in decisions if d.lockout is not None]
    assert len(evaluated) + len(locked) == 10_000
    # Five at once, then one per 12 minutes, even with 100 in flight: 10,000 s of
    # guessing is 5 + 10,000 / 720 evaluations.
    policy = runtime.policy.throttle
    assert len(evaluated) <= policy.burst + 10_000 // 720 + 1
    assert len(lockouts) == len(evaluated) - policy.burst + 1
    await runtime.drain()
    # One episode, one alert.
    assert len(notifier.lockouts) == 1
    logged = (await session.execute(text("SELECT count(*) FROM access_log"))).scalar_one()
    assert logged == 10_000


async def test_database_dump_holds_no_plaintext_secret(session, site, runtime, clock, database_url):
    issued = [await visitor_pass(session, site, clock.now()) for _ in range(5)]
    manager, _ = await make_staff(session, site.community)
    worker = await request_worker_pass(
        session,
        now=clock.now(),
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        worker_name="李师傅",
        worker_phone="13900001111",
        company="好家装修",
        category=WorkerCategory.RENOVATION,
        first_day=clock.now().date(),
        last_day=clock.now().date() + timedelta(days=3),
        daily_start_min=0,
        daily_end_min=24 * 60,
        weekdays=0b1111111,
        gate_ids=[],
    )
    await session.commit()
    issued.append(
        await approve_worker_pass(
            session,
            secret_key=TEST_SECRET,
            now=clock.now(),
            pass_id=worker.id,
            community_id=site.community.id,
            staff_person_id=manager.id,
        )
    )
    await session.commit()
    gate = await runtime.gates.get(site.gate_ids["东门"])
    for p in issued:
        await runtime.verify(gate, Credential.code(p.code))
        await runtime.verify(gate, Credential.qr(p.token))

    # Door secrets: whoever has the relay's token or the broker's password opens the
    # door without a pass.
    door_secrets = ["relay-token-7f3a9c1e5b", "broker-password-2d8e6b4a"]
    for name, driver, config in (
        ("继电器门", DoorDriverKind.HTTP, {"url": "http://relay.local/", "token": door_secrets[0]}),
        ("MQTT 门", DoorDriverKind.MQTT, {"topic": "gate/x", "password": door_secrets[1]}),
    ):
        await create_gate(
            session,
            secret_key=TEST_SECRET,
            community_id=site.community.id,
            name=name,
            driver=driver,
            driver_config=config,
        )
    await session.commit()

    secrets_ = [p.code for p in issued] + [p.token for p in issued]
    secrets_ += [p.share_key for p in issued] + list(site.keys.values()) + [TEST_SECRET]
    secrets_ += door_secrets

    # A logical dump: every row of every table, as text.
    dump: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in (await session.execute(select(table))).all():
            dump.append(" ".join(repr(v) for v in row))
    haystacks = ["\n".join(dump)]
    # And on SQLite the raw database files, free pages and WAL included.
    if database_url.startswith("sqlite"):
        path = Path(database_url.split(":///", 1)[1])
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                haystacks.append(file.read_bytes().decode("latin-1"))
    for secret in secrets_:
        pattern = re.compile(rf"(?<![0-9A-Za-z_-]){re.escape(secret)}(?![0-9A-Za-z_-])")
        for hay in haystacks:
            assert not pattern.search(hay), f"plaintext secret found: {secret[:4]}…"
    assert len((await session.scalars(select(AccessLogEntry))).all()) == 12


async def test_codes_are_unique_among_active_passes(session, site, clock):
    from access import credentials

    issued = await visitor_pass(session, site, clock.now())
    draws = iter([issued.code, issued.code, "00000042"])
    original = credentials.new_code
    credentials.new_code = lambda: next(draws)
    try:
        second = await visitor_pass(session, site, clock.now())
    finally:
        credentials.new_code = original
    assert second.code == "00000042"


async def test_worker_request_validation(session, site, clock):
    from access.passes import PassError

    base = dict(
        now=clock.now(),
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        worker_name="李师傅",
        worker_phone="13900001111",
        company="",
        category=WorkerCategory.HOUSEKEEPING,
        first_day=clock.now().date(),
        last_day=clock.now().date(),
        daily_start_min=8 * 60,
        daily_end_min=18 * 60,
        weekdays=MON_TO_SAT,
        gate_ids=[],
    )
    for change, code in (
        ({"worker_phone": "call me"}, "bad_phone"),
        ({"first_day": clock.now().date() - timedelta(days=1)}, "starts_in_past"),
        ({"last_day": clock.now().date() + timedelta(days=100)}, "range_too_long"),
        ({"daily_start_min": 18 * 60, "daily_end_min": 8 * 60}, "bad_hours"),
        ({"weekdays": 0}, "bad_weekday"),
        ({"gate_ids": [999999]}, "bad_gate"),
        ({"host_unit_id": 999999}, "not_resident"),
    ):
        with pytest.raises(PassError) as err:
            await request_worker_pass(session, **{**base, **change})
        assert err.value.code == code


async def test_gate_names_are_unique_per_community(session, site):
    from access.gates import GateError

    with pytest.raises(GateError):
        await create_gate(
            session, secret_key=TEST_SECRET, community_id=site.community.id, name="东门"
        )
