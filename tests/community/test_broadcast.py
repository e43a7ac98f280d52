"""The notice delivery rows: claim before send, resume after a crash, outage
reminders and end words (service level, real database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from core.community import broadcast
from core.community.models import (
    Audience,
    DeliveryStatus,
    NoticeDelivery,
    NoticeKind,
    Phase,
)
from core.community.notices import NoticeDraft, NoticeError, create_notice
from core.db import transaction
from tests.community.conftest import build

NOW = datetime(2030, 12, 3, 8, 0, tzinfo=UTC)


async def _notice(session, community, **kw) -> int:
    draft = NoticeDraft(
        kind=kw.pop("kind", NoticeKind.GENERAL),
        audience=kw.pop("audience", Audience.ALL),
        title="Lift service",
        body="The lift is serviced on Friday.",
        **kw,
    )
    notice, _ = await create_notice(
        session,
        community_id=community.id,
        author_person_id=None,
        draft=draft,
        send_at=NOW,
        now=NOW,
        today=date(2030, 12, 3),
    )
    await session.commit()
    return notice.id


async def _statuses(session_factory) -> dict[str, int]:
    async with session_factory() as session:
        rows = await session.execute(
            select(NoticeDelivery.status, func.count()).group_by(NoticeDelivery.status)
        )
        return {str(s): n for s, n in rows.all()}


async def test_a_crash_resumes_pending_and_resends_only_unmarked_claims(session, session_factory):
    community = await build(session)
    await _notice(session, community)
    await broadcast.start_due(session_factory, NOW)
    first = await broadcast.claim_batch(session_factory, NOW, 2)
    assert len(first) == 2
    async with transaction(session_factory) as s:  # one sent and marked, then "crash"
        await broadcast.mark(s, first[0].delivery_id, ok=True, now=NOW, message_id=5)
    # After the restart: the pending row goes at once, the unmarked claim waits its lease.
    resumed = await broadcast.claim_batch(session_factory, NOW + timedelta(seconds=10), 10)
    assert [c.delivery_id for c in resumed] == [3]
    later = await broadcast.claim_batch(
        session_factory, NOW + broadcast.LEASE + timedelta(seconds=5), 10
    )
    assert [c.delivery_id for c in later] == [first[1].delivery_id]
    assert first[0].delivery_id not in {c.delivery_id for c in resumed + later}
    assert await _statuses(session_factory) == {"sent": 1, "claimed": 2}


async def test_outage_reminder_then_end_word_to_those_reached(session, session_factory):
    community = await build(session)
    await _notice(
        session,
        community,
        kind=NoticeKind.OUTAGE,
        starts_at=NOW + timedelta(hours=5),
        ends_at=NOW + timedelta(hours=8),
    )
    await broadcast.start_due(session_factory, NOW)
    for claim in await broadcast.claim_batch(session_factory, NOW, 10):
        async with transaction(session_factory) as s:
            ok = claim.delivery_id != 3
            await broadcast.mark(s, claim.delivery_id, ok=ok, now=NOW, reason=None)
    assert await broadcast.finish_sent(session_factory, NOW) == [1]

    await broadcast.start_due(session_factory, NOW + timedelta(hours=2))  # not yet
    assert await broadcast.claim_batch(session_factory, NOW + timedelta(hours=2), 10) == []
    at = NOW + timedelta(hours=4)
    await broadcast.start_due(session_factory, at)
    await broadcast.start_due(session_factory, at)  # twice: still one reminder each
    reminders = await broadcast.claim_batch(session_factory, at, 10)
    assert {c.phase for c in reminders} == {Phase.REMINDER} and len(reminders) == 2

    end = NOW + timedelta(hours=9)
    await broadcast.start_due(session_factory, end)
    ended = await broadcast.claim_batch(session_factory, end, 10)
    assert {c.phase for c in ended} == {Phase.ENDED} and len(ended) == 2


async def test_no_recipients_and_over_long_text_are_refused(session):
    community = await build(session)
    for kw, code in [
        ({"audience": Audience.TENANTS, "building_ids": [-1]}, "no_recipients"),
        ({"kind": NoticeKind.OUTAGE}, "bad_window"),
    ]:
        try:
            await _notice(session, community, **kw)
        except NoticeError as exc:
            assert exc.code == code
        else:
            raise AssertionError(code)
    draft = NoticeDraft(NoticeKind.GENERAL, Audience.ALL, "t", "x" * 801, attachment_file_id="f")
    try:
        await create_notice(
            session,
            community_id=community.id,
            author_person_id=None,
            draft=draft,
            send_at=NOW,
            now=NOW,
            today=date(2030, 12, 3),
        )
    except NoticeError as exc:
        assert exc.code == "body_too_long"
    assert DeliveryStatus.PENDING == "pending"


async def test_a_stop_midway_then_a_restart_delivers_each_once(
    session, settings, emulator, monkeypatch
):
    import asyncio
    import contextlib

    from core.clock import FrozenClock
    from handlers.community.jobs import run_notices
    from tests.factories import make_community, make_resident, make_unit
    from tests.harness import start_bot

    community = await make_community(session, locale="en")
    monkeypatch.setattr("handlers.community.jobs.BATCH", 2)
    ids = [9100 + i for i in range(20)]
    for telegram_id in ids:
        unit = await make_unit(session, community, "1栋")
        await make_resident(session, unit, telegram_id, locale="en")
        emulator.user(telegram_id, "R", language_code="en")
    await _notice(session, community)
    slow = settings.model_copy(update={"send_rate_global": 6})
    clock = FrozenClock(NOW)
    async with start_bot(slow, emulator, clock=clock) as app:
        job = asyncio.create_task(run_notices(app.ctx))
        await asyncio.sleep(0.6)
        job.cancel()  # a shutdown: the batch in flight finishes and is marked
        with contextlib.suppress(asyncio.CancelledError):
            await job
    statuses = await _statuses(app.ctx.session_factory)
    assert "claimed" not in statuses and 0 < statuses.get("sent", 0) < len(ids)
    async with start_bot(slow, emulator, clock=clock) as app:
        await run_notices(app.ctx)
    assert await _statuses(app.ctx.session_factory) == {"sent": len(ids)}
    for telegram_id in ids:
        got = [m for m in emulator.user(telegram_id).messages if "Lift service" in m["text"]]
        assert len(got) == 1
