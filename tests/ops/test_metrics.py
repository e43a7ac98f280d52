"""/metrics moves with real actions: updates through the webhook, messages sent,
undeliverable and rate-limited (the emulator's 429), gate decisions over the gate API
(codes, a face image, a door that fails), a scheduler job, and the outbox and spool
depths."""

from __future__ import annotations

import aiohttp

from access.decision import Method
from access.gates import create_gate
from core.fees.spool import PaymentSpool
from core.models import StaffRole
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_staff
from tests.ops.helpers import site, text_update, value


async def test_metrics_follow_what_happens(settings, emulator, session) -> None:
    community = await make_community(session, "Metrics Garden")
    guard, _ = await make_staff(session, community, 7701, "Guard", StaffRole.GUARD)
    broken = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=community.id,
        name="Broken Gate",
        driver_config={"fail": True},
    )
    await session.commit()
    emulator.user(7702, "Ann", language_code="en")
    emulator.user(7703, "Bob", language_code="en").block_bot()
    # Our own pacing of a private chat far below Telegram's: the emulator answers 429.
    settings = settings.model_copy(update={"send_interval_private_s": 0.01})
    async with site(settings, emulator) as s:
        before = await s.samples(s.webhook)
        assert await s.post_update(text_update(801, 7702, "/start")) == 200
        assert await s.post_update(text_update(801, 7702, "/start")) == 200  # again
        assert await s.post_update(text_update(802, 7703, "/start")) == 200  # blocked us
        gate_url = f"{s.gate_api}/v1/gates/{broken.gate.id}/verify"
        auth = {"Authorization": f"Bearer {broken.api_key}"}
        async with s.http.post(gate_url, json={"code": "12345678"}, headers=auth) as r:
            assert r.status == 200 and not (await r.json())["granted"]
        form = aiohttp.FormData()
        form.add_field("face", b"\xff\xd8not-really", filename="f.jpg", content_type="image/jpeg")
        async with s.http.post(gate_url, data=form, headers=auth) as r:
            assert r.status in (200, 503)
        decision = await s.app.ctx.gate.open_gate(broken.gate.id, guard.id, Method.STAFF)
        assert decision is not None and decision.door.value == "failed"
        await s.app.ctx.scheduler.run_now("updates.prune")
        emulator.flood_limits = True
        for text in ("one", "two"):  # the second waits out a 429, then is sent
            await s.app.bot.send_message(7702, text)
        emulator.flood_limits = False
        PaymentSpool(settings.spool_dir).directory.mkdir(parents=True)
        (PaymentSpool(settings.spool_dir).directory / "waiting.json").write_text("{}")
        after = await s.samples(s.webhook)
        gate_side = await s.samples(s.gate_api)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("courtyard_updates_total", type="message", outcome="handled") >= 1
    assert moved("courtyard_updates_total", type="message", outcome="duplicate") == 1
    assert moved("courtyard_update_seconds_count", type="message") == 3
    assert moved("courtyard_messages_total", outcome="sent") >= 1
    assert moved("courtyard_messages_total", outcome="refused") >= 1
    assert moved("courtyard_undeliverable_total", reason="blocked") >= 1
    assert moved("courtyard_telegram_429_total") >= 1
    code_refusals = [
        v - value(before, n, **dict(labels))
        for (n, labels), v in after.items()
        if n == "courtyard_gate_decisions_total" and ("method", "code") in labels
    ]
    assert sum(code_refusals) == 1
    assert moved("courtyard_gate_decisions_total", method="staff", outcome="granted") == 1
    assert moved("courtyard_gate_decision_seconds_count", method="code") == 1
    assert moved("courtyard_door_failures_total", driver="simulated") == 1
    faces = sum(
        v - value(before, n, **dict(labels))
        for (n, labels), v in after.items()
        if n == "courtyard_face_decisions_total"
    )
    assert faces == 1
    assert moved("courtyard_job_runs_total", job="updates.prune", outcome="ok") == 1
    assert moved("courtyard_job_seconds_count", job="updates.prune") == 1
    assert value(after, "courtyard_outbox_pending") == 0
    assert value(after, "courtyard_spool_pending") == 1
    # The gate API's /metrics is the same process's counters, without the bot's depths.
    assert value(gate_side, "courtyard_door_failures_total", driver="simulated") >= 1
    assert ("courtyard_spool_pending", ()) not in gate_side
    assert value(after, "process_cpu_seconds_total") > 0
