"""Two residents of one home press at the same moment: exactly one answer decides the
call, one access log row records it, and the other is told who decided (PostgreSQL,
where the presses really run in parallel; the same code runs on SQLite)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from access.models import AccessLogEntry
from access.walkins.models import CallKind
from access.walkins.notify import Ring, RingMessage
from access.walkins.service import Outcome, Verdict
from tests.access.conftest import clock as clock  # the gate module's fixtures, shared
from tests.access.conftest import notifier as notifier
from tests.access.conftest import runtime as runtime
from tests.access.conftest import site as site
from tests.factories import make_resident


class ReachEveryone:
    """The chat side, as far as the desk can tell: every resident got the message."""

    async def ring(self, ring: Ring) -> list[RingMessage]:
        return [RingMessage(p, 9_000 + p, 1, False) for p in ring.resident_ids]

    async def call_closed(self, call, messages) -> None:
        pass

    async def to_guards(self, call) -> None:
        pass


async def test_the_first_answer_wins(session, site, runtime):
    second, _ = await make_resident(session, site.unit, telegram_id=5002, name="李小红")
    await session.commit()
    gate = await runtime.gates.get(site.gate_ids["东门"])
    desk = runtime.walkins
    desk.notifier = ReachEveryone()
    patterns = [
        (Verdict.LET_IN, Verdict.LET_IN),
        (Verdict.LET_IN, Verdict.REFUSE),
        (Verdict.REFUSE, Verdict.LET_IN),
        (Verdict.REFUSE, Verdict.REFUSE),
    ]
    let_in = 0
    for round_ in range(12):
        call = await desk.ring(gate, unit_label="3栋-1201", kind=CallKind.CALL, terminal="t")
        verdicts = patterns[round_ % len(patterns)]
        answers = await asyncio.gather(
            desk.answer(call.id, site.host.id, verdicts[0]),
            desk.answer(call.id, second.id, verdicts[1]),
        )
        outcomes = sorted(a.outcome for a in answers)
        assert outcomes == [Outcome.DONE, Outcome.TAKEN], outcomes
        winner = next(a for a in answers if a.outcome == Outcome.DONE)
        loser = next(a for a in answers if a.outcome == Outcome.TAKEN)
        assert loser.call.decided_by_name == winner.call.decided_by_name != ""
        rows = await session.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(
                AccessLogEntry.method == "call", AccessLogEntry.reason.in_(("let_in", "refused"))
            )
        )
        assert rows == round_ + 1
        let_in += winner.call.status == "let_in"
        # The door opened once for every "let in" that won, never for a lost one.
        door = runtime.doors.existing(gate.id)
        assert (door.releases if door is not None else 0) == let_in
        # A refusal blocks this gate for a while: the next round rings from a clean slate.
        runtime.clock.advance(desk.policy.interval * 3 + timedelta(seconds=601))
    await runtime.drain()
