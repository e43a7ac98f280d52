"""Passes over time: expiry, overstay alerts, moving out, the share link, the CLI."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from access.models import Gate, Pass, PassStatus, WorkerCategory
from access.passes import (
    MON_TO_SAT,
    PassError,
    claim_overstays,
    expire_passes,
    open_shared_pass,
    request_worker_pass,
)
from access.verification import Credential, Direction
from core.db import utcnow
from core.lifecycle import run_residency_end_hooks
from core.models import Community, Residency, ResidencyStatus
from tests.access.helpers import visitor_pass
from tests.conftest import TEST_SECRET


async def test_expiry_frees_codes_and_marks_passes(session, site, clock):
    issued = await visitor_pass(session, site, clock.now(), hours=1)
    clock.advance(timedelta(minutes=61))
    assert await expire_passes(session, clock.now()) == 1
    await session.commit()
    row = await session.get(Pass, issued.pass_id)
    await session.refresh(row)
    assert row.status == PassStatus.EXPIRED
    assert await expire_passes(session, clock.now()) == 0


async def test_overstay_is_claimed_once_and_respects_settings(session, site, runtime, clock):
    stays = await visitor_pass(session, site, clock.now(), hours=1, name="留下的人")
    leaves = await visitor_pass(session, site, clock.now(), hours=1, name="走了的人")
    east = await runtime.gates.get(site.gate_ids["东门"])
    await runtime.verify(east, Credential.code(stays.code))
    await runtime.verify(east, Credential.code(leaves.code))
    await runtime.verify(east, Credential.code(leaves.code), direction=Direction.OUT)

    clock.advance(timedelta(minutes=80))  # window + 20 min: inside the default 30 min grace
    assert await claim_overstays(session, clock.now()) == []
    clock.advance(timedelta(minutes=15))
    claimed = await claim_overstays(session, clock.now())
    await session.commit()
    assert [p.holder_name for p in claimed] == ["留下的人"]
    assert await claim_overstays(session, clock.now()) == []

    # A community can switch the alert off.
    third = await visitor_pass(session, site, clock.now(), hours=1)
    await runtime.verify(east, Credential.code(third.code))
    community = await session.get(Community, site.community.id)
    community.config = {"access": {"overstay_alert": False}}
    await session.commit()
    clock.advance(timedelta(hours=3))
    assert await claim_overstays(session, clock.now()) == []


async def test_moving_out_revokes_every_pass_of_that_home(session, site, runtime, clock):
    visitor = await visitor_pass(session, site, clock.now(), multi=True, hours=6)
    worker = await request_worker_pass(
        session,
        now=clock.now(),
        host_person_id=site.host.id,
        host_unit_id=site.unit.id,
        worker_name="李师傅",
        worker_phone="13900001111",
        company="",
        category=WorkerCategory.DELIVERY,
        first_day=clock.now().date(),
        last_day=clock.now().date() + timedelta(days=2),
        daily_start_min=0,
        daily_end_min=24 * 60,
        weekdays=MON_TO_SAT,
        gate_ids=[],
    )
    await session.commit()
    residency = await session.scalar(select(Residency).where(Residency.person_id == site.host.id))
    residency.status = ResidencyStatus.ENDED
    residency.ended_at = utcnow()
    await run_residency_end_hooks(session, residency)
    await session.commit()
    for pass_id in (visitor.pass_id, worker.id):
        row = await session.get(Pass, pass_id)
        await session.refresh(row)
        assert row.status == PassStatus.REVOKED and row.revoke_reason == "residency_ended"
    east = await runtime.gates.get(site.gate_ids["东门"])
    assert (await runtime.verify(east, Credential.code(visitor.code))).reason == "revoked"


async def test_share_link_opens_only_with_the_right_key(session, site, clock):
    issued = await visitor_pass(session, site, clock.now())
    shared = await open_shared_pass(
        session, secret_key=TEST_SECRET, share_key=issued.share_key, now=clock.now()
    )
    assert (shared.code, shared.token) == (issued.code, issued.token)
    assert set(shared.gate_names) == {"东门", "北门", "车库"}
    for key in (
        "A" * 22,
        issued.share_key[:-1] + ("A" if issued.share_key[-1] != "A" else "B"),
        "short",
        "../../etc",
    ):
        try:
            await open_shared_pass(session, secret_key=TEST_SECRET, share_key=key, now=clock.now())
        except PassError as exc:
            assert exc.code == "unknown"
        else:
            raise AssertionError("a wrong share key opened a pass")
    # The server's key alone is not enough either: the link's key is part of the seal.
    try:
        await open_shared_pass(
            session, secret_key="another-secret", share_key=issued.share_key, now=clock.now()
        )
    except PassError as exc:
        assert exc.code == "unknown"


def test_gate_cli(database_url, tmp_path, monkeypatch):
    import asyncio

    from bot.cli import main
    from core.db import create_engine, create_session_factory
    from tests.factories import make_community

    async def seed() -> None:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            await make_community(session, "阳光花园")
            await session.commit()
        await engine.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "gate",
            "add",
            "阳光花园",
            "东门",
            "--driver",
            "mqtt",
            "--option",
            "topic=yg/east/door",
            "--option",
            "pulse_ms=800",
            "--option",
            "password=hunter2",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "Terminal API key (shown once" in added.output
    key = added.output.split("shown once, store it in the terminal now): ")[1].split()[0]
    assert key.startswith("gk_")

    bad = runner.invoke(main, ["gate", "add", "阳光花园", "北门", "--driver", "http"])
    assert bad.exit_code == 2 and "url" in bad.output
    dup = runner.invoke(main, ["gate", "add", "阳光花园", "东门"])
    assert dup.exit_code == 2 and "already has a gate" in dup.output
    nowhere = runner.invoke(main, ["gate", "add", "没有这个小区", "东门"])
    assert nowhere.exit_code == 1

    exit_only = runner.invoke(main, ["gate", "add", "阳光花园", "出口", "--direction", "out"])
    assert exit_only.exit_code == 0 and "direction out" in exit_only.output

    listed = runner.invoke(main, ["gate", "list"])
    assert "阳光花园 / 东门" in listed.output and "mqtt" in listed.output
    assert "出口" in listed.output and "direction out" in listed.output
    assert "hunter2" not in listed.output and key not in listed.output

    rotated = runner.invoke(main, ["gate", "rotate-key", "阳光花园", "东门"])
    assert rotated.exit_code == 0 and "gk_" in rotated.output
    settings = runner.invoke(
        main, ["gate", "settings", "阳光花园", "--overstay-alert", "off", "--overstay-grace", "45"]
    )
    assert "overstay alert off, grace 45 min" in settings.output

    from access.doors.sealing import open_driver_config

    plain = {"topic": "yg/east/door", "pulse_ms": 800, "password": "hunter2"}

    async def check() -> dict:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            gate = await session.scalar(select(Gate).where(Gate.name == "东门"))
            assert key not in gate.api_key_hash
            stored = dict(gate.driver_config)
        await engine.dispose()
        return stored

    stored = asyncio.run(check())
    assert stored["password"].startswith("sealed:v1:") and "hunter2" not in str(stored)
    assert open_driver_config(stored, TEST_SECRET) == plain
    assert (
        "No door secret is stored in clear" in runner.invoke(main, ["gate", "seal-secrets"]).output
    )

    # A gate written by an older version, password in clear: sealed in place.
    async def older_version() -> None:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            gate = await session.scalar(select(Gate))
            gate.driver_config = plain
            await session.commit()
        await engine.dispose()

    asyncio.run(older_version())
    sealed = runner.invoke(main, ["gate", "seal-secrets"])
    assert sealed.exit_code == 0 and "Sealed the door secrets of 1 gate(s)" in sealed.output
    stored = asyncio.run(check())
    assert "hunter2" not in str(stored) and open_driver_config(stored, TEST_SECRET) == plain


async def test_gate_api_runs_alone(database_url, site, tmp_path):
    import asyncio

    import aiohttp

    from bot.cli_gate import serve_gate_api
    from bot.settings import Settings

    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        secret_key_file=tmp_path / ".k",
        log_format="text",
    )
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(serve_gate_api(settings, "127.0.0.1", port, stop))
    try:
        for _ in range(100):
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"http://127.0.0.1:{port}/v1/health") as r,
                ):
                    assert (await r.json())["status"] == "ok"
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("gate API did not come up")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/v1/gates/{site.gate_ids['东门']}/verify",
                json={"code": "12345678"},
                headers={"Authorization": f"Bearer {site.keys['东门']}"},
            ) as r,
        ):
            assert r.status == 200 and (await r.json())["reason"] == "unknown"
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
