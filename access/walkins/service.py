"""Walk-ins and intercom calls: ring a household, take its first answer, or time out.

:class:`WalkinDesk` is the one place of the rules (the gate API and the chat call it):

1. **Ring** (:meth:`WalkinDesk.ring`) — a terminal's walk-in or "call the unit", or a
   guard's registration: the unit is read by :func:`core.units.find_unit_by_label`;
   for a terminal the household's mute, a recent refusal from this gate and the
   call meter apply (:mod:`access.walkins.limits`); a unit nobody lives in, a muted
   one or a limited call is answered at once and logged. Otherwise a ``ringing`` row
   with ``expires_at = now + answer_s`` is committed and the residents are rung in
   the background (photo, Let in once, Refuse).
2. **Answer** (:meth:`WalkinDesk.answer`) — the first answer wins by a conditional
   UPDATE on ``status = 'ringing' AND expires_at > now``: "let in" claims the call and
   decides in one transaction (:mod:`access.walkins.gate`), then the door opens as for
   any granted decision; "refuse" claims it and logs the refusal. A later answer sees
   who decided, or that the call has ended.
3. **Expire** — a ringing call past ``expires_at`` becomes ``no_answer`` by the same
   kind of UPDATE, run by the periodic job of whichever process runs jobs, and at read
   time by the terminal's poll and a late answer: exactly one of them logs it and
   tells the guards.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.decision import Credential, Decision, Method, Reason
from access.gates import GateInfo
from access.walkins.gate import CallClosed, let_in_tx
from access.walkins.limits import WalkinPolicy, meter_call, muted_until, refused_wait, set_mute
from access.walkins.models import CallKind, CallStatus, GateWalkin
from access.walkins.notify import LoggingWalkinNotifier, Ring, WalkinNotifier
from access.walkins.records import household, log_call, ring_messages, save_ring_messages
from access.walkins.views import CallView, load_call
from core.models import Residency
from core.residency import active_residency_clause
from core.units import find_unit_by_label

if TYPE_CHECKING:
    from access.service import AccessRuntime

NAME_MAX = 120
PURPOSE_MAX = 200


class WalkinError(Exception):
    """``code``: unknown_unit, bad_name, bad_purpose, gate_disabled, rate_limited,
    refused_recently (the last two with ``retry_after_s``)."""

    def __init__(self, code: str, retry_after_s: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after_s = retry_after_s


class Verdict(enum.StrEnum):
    LET_IN = "let_in"
    REFUSE = "refuse"


class Outcome(enum.StrEnum):
    DONE = "done"  # this answer decided the call
    TAKEN = "taken"  # someone else answered first (``call`` says who)
    ENDED = "ended"  # the call expired before the answer
    NOT_YOURS = "not_yours"  # the presser does not live in the called unit
    GONE = "gone"  # no such call


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    call: CallView | None = None
    decision: Decision | None = None


def clean_text(text: str, limit: int) -> str:
    """Free text from a terminal or a guard: no control characters, single spaces."""
    return " ".join("".join(ch for ch in text if ch >= " ").split())[: limit + 1]


def _today(now: datetime, timezone: str) -> datetime:
    return now.astimezone(ZoneInfo(timezone))


class WalkinDesk:
    def __init__(
        self,
        runtime: AccessRuntime,
        session_factory: async_sessionmaker[AsyncSession],
        policy: WalkinPolicy | None = None,
    ) -> None:
        self.runtime = runtime
        self.session_factory = session_factory
        self.policy = policy or WalkinPolicy()
        self.notifier: WalkinNotifier = LoggingWalkinNotifier()

    # --- 1. ring ----------------------------------------------------------------------

    async def ring(
        self,
        gate: GateInfo,
        *,
        unit_label: str,
        kind: CallKind,
        visitor_name: str = "",
        purpose: str = "",
        terminal: str | None = None,
        photo: bytes | str | None = None,
        registered_by: int | None = None,
    ) -> CallView:
        """Ring the unit (see the module docstring); raises :class:`WalkinError`."""
        visitor_name, purpose = clean_text(visitor_name, NAME_MAX), clean_text(purpose, PURPOSE_MAX)
        if kind == CallKind.WALKIN and not 1 <= len(visitor_name) <= NAME_MAX:
            raise WalkinError("bad_name")
        if len(purpose) > PURPOSE_MAX:
            raise WalkinError("bad_purpose")
        if not gate.active:
            raise WalkinError("gate_disabled")
        now = self.runtime.clock.now()
        method = Method.WALKIN if kind == CallKind.WALKIN else Method.CALL
        async with self.session_factory.begin() as session:
            unit = await find_unit_by_label(
                session, gate.community_id, clean_text(unit_label, NAME_MAX)
            )
            if unit is None:
                # No call, but the attempt is in the access log like every refusal.
                probe = GateWalkin(
                    community_id=gate.community_id,
                    gate_id=gate.id,
                    unit_id=None,
                    terminal=terminal,
                    visitor_name=visitor_name,
                )
                await log_call(session, probe, method, Reason.UNKNOWN_UNIT.value, now)
        if unit is None:
            raise WalkinError("unknown_unit")
        async with self.session_factory.begin() as session:
            row = GateWalkin(
                community_id=gate.community_id,
                gate_id=gate.id,
                unit_id=unit.id,
                kind=kind,
                status=CallStatus.RINGING,
                terminal=terminal,
                visitor_name=visitor_name,
                purpose=purpose,
                registered_by_person_id=registered_by,
                created_at=now,
                expires_at=now + timedelta(seconds=self.policy.answer_s),
                reached=0,
            )
            refusal = None
            if registered_by is None:
                refusal = await self._terminal_limits(session, gate, unit.id, now)
            if isinstance(refusal, WalkinError):
                # Logged and committed, but no call: the terminal is answered 429.
                await log_call(session, row, method, refusal.code, now)
            else:
                if refusal is not None:
                    row.status, row.decided_at = CallStatus.MUTED, now
                residents = await household(session, unit.id, _today(now, gate.timezone).date())
                if row.status == CallStatus.RINGING and not residents:
                    row.status, row.decided_at = CallStatus.NO_RESIDENTS, now
                session.add(row)
                await session.flush()
                if row.status != CallStatus.RINGING:
                    row.log_id = await log_call(session, row, method, row.status.value, now)
        if isinstance(refusal, WalkinError):
            raise refusal
        call = await self.call(row.id)
        assert call is not None
        if call.ringing:
            self.runtime.in_background(
                self._ring(Ring(call, tuple(residents), photo)), "walkin_ring"
            )
        elif call.status == CallStatus.NO_RESIDENTS.value:
            self.runtime.in_background(self.notifier.to_guards(call), "walkin_guards")
        return call

    async def _terminal_limits(
        self, session: AsyncSession, gate: GateInfo, unit_id: int, now: datetime
    ) -> WalkinError | datetime | None:
        """A terminal's call: the mute's end, a limit's error, or None to ring."""
        until = await muted_until(session, unit_id, now)
        if until is not None:
            return until
        wait = await refused_wait(session, gate.id, unit_id, now, self.policy)
        if wait is not None:
            return WalkinError("refused_recently", wait)
        wait = await meter_call(session, gate.id, unit_id, now, self.policy)
        if wait is not None:
            return WalkinError("rate_limited", wait)
        return None

    async def _ring(self, ring: Ring) -> None:
        messages = await self.notifier.ring(ring)
        async with self.session_factory.begin() as session:
            save_ring_messages(session, ring.call.id, messages)
            await session.execute(
                update(GateWalkin)
                .where(GateWalkin.id == ring.call.id)
                .values(reached=len(messages))
            )
        call = await self.call(ring.call.id)
        if call is not None and not call.ringing:
            # Answered (or ended) while the others were still being rung.
            await self._close(call)
        if not messages:
            # Nobody could be reached (no Telegram, the bot blocked): the call ends now,
            # not after the household's time, and the guards are told.
            await self._expire(ring.call.id, unreachable=True)

    # --- reading ----------------------------------------------------------------------

    async def call(self, call_id: int) -> CallView | None:
        async with self.session_factory() as session:
            return await load_call(session, call_id)

    async def status(self, gate_id: int, call_id: int) -> CallView | None:
        """The terminal's poll: the call of this gate, expired first if it is due."""
        call = await self.call(call_id)
        if call is None or call.gate_id != gate_id:
            return None
        if call.ringing and call.expires_at <= self.runtime.clock.now():
            await self._expire(call_id)
            call = await self.call(call_id)
        return call

    # --- 2. answer --------------------------------------------------------------------

    async def resides(self, person_id: int, call: CallView) -> bool:
        today = _today(self.runtime.clock.now(), call.timezone).date()
        async with self.session_factory() as session:
            found = await session.scalar(
                select(Residency.id).where(
                    active_residency_clause(today, person_id=person_id, unit_id=call.unit_id)
                )
            )
        return found is not None

    async def answer(self, call_id: int, person_id: int, verdict: Verdict) -> Answer:
        call = await self.call(call_id)
        if call is None:
            return Answer(Outcome.GONE)
        if not await self.resides(person_id, call):
            return Answer(Outcome.NOT_YOURS, call)
        now = self.runtime.clock.now()
        if call.ringing and call.expires_at <= now:
            await self._expire(call_id)
            return Answer(Outcome.ENDED, await self.call(call_id))
        if not call.ringing:
            return await self._late(call_id)
        if verdict == Verdict.LET_IN:
            return await self._let_in(call, person_id)
        async with self.session_factory.begin() as session:
            row = await session.get(GateWalkin, call_id)
            assert row is not None
            won = await self._claim(session, call_id, CallStatus.REFUSED, now, person_id)
            if won:
                row.log_id = await log_call(
                    session, row, Method(call.kind), Reason.REFUSED, now, person_id
                )
        if not won:
            return await self._late(call_id)
        return self._decided(await self.call(call_id))

    async def _let_in(self, call: CallView, person_id: int) -> Answer:
        gate = await self.runtime.gates.get(call.gate_id)
        if gate is None:
            return Answer(Outcome.GONE, call)
        credential = Credential(Method(call.kind), secret=str(call.id), person_id=person_id)
        try:
            decision = await self.runtime.verify(
                gate, credential, terminal=call.terminal, tx=let_in_tx
            )
        except CallClosed:
            return await self._late(call.id)
        async with self.session_factory.begin() as session:
            await session.execute(
                update(GateWalkin).where(GateWalkin.id == call.id).values(door=decision.door.value)
            )
        return self._decided(await self.call(call.id), decision)

    def _decided(self, call: CallView | None, decision: Decision | None = None) -> Answer:
        """The household's ringing messages say who decided; a guard's walk-in, answered:
        the guard is told in the admin group."""
        if call is not None:
            self.runtime.in_background(self._close(call), "walkin_close")
        if call is not None and call.registered_by_person_id is not None:
            self.runtime.in_background(self.notifier.to_guards(call), "walkin_guards")
        return Answer(Outcome.DONE, call, decision)

    async def _close(self, call: CallView) -> None:
        async with self.session_factory() as session:
            messages = await ring_messages(session, call.id)
        if messages:
            await self.notifier.call_closed(call, messages)

    async def _late(self, call_id: int) -> Answer:
        call = await self.call(call_id)
        if call is not None and call.status == CallStatus.NO_ANSWER.value:
            return Answer(Outcome.ENDED, call)
        return Answer(Outcome.TAKEN, call)

    @staticmethod
    async def _claim(
        session: AsyncSession,
        call_id: int,
        status: CallStatus,
        now: datetime,
        person_id: int | None = None,
        *,
        unreachable: bool = False,
    ) -> bool:
        """The first answer wins: only a ringing call changes, an answer (a person)
        inside its time, the expiry after it (or at once when nobody was reached)."""
        when = GateWalkin.expires_at > now if person_id else GateWalkin.expires_at <= now
        if unreachable:
            when = GateWalkin.reached == 0
        result = await session.execute(
            update(GateWalkin)
            .where(GateWalkin.id == call_id, GateWalkin.status == CallStatus.RINGING, when)
            .values(status=status, decided_at=now, decided_by_person_id=person_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    # --- 3. expire --------------------------------------------------------------------

    async def _expire(self, call_id: int, *, unreachable: bool = False) -> bool:
        now = self.runtime.clock.now()
        async with self.session_factory.begin() as session:
            won = await self._claim(
                session, call_id, CallStatus.NO_ANSWER, now, unreachable=unreachable
            )
            if won:
                row = await session.get(GateWalkin, call_id, populate_existing=True)
                assert row is not None
                row.log_id = await log_call(
                    session, row, Method(row.kind.value), Reason.NO_ANSWER, now
                )
        if won:
            call = await self.call(call_id)
            if call is not None:
                self.runtime.in_background(self.notifier.to_guards(call), "walkin_guards")
                self.runtime.in_background(self._close(call), "walkin_close")
        return won

    async def expire_due(self, limit: int = 100) -> int:
        """The periodic job: every ringing call past its time becomes ``no_answer``."""
        now = self.runtime.clock.now()
        async with self.session_factory() as session:
            due = (
                await session.scalars(
                    select(GateWalkin.id)
                    .where(GateWalkin.status == CallStatus.RINGING, GateWalkin.expires_at <= now)
                    .order_by(GateWalkin.expires_at)
                    .limit(limit)
                )
            ).all()
        return sum([await self._expire(call_id) for call_id in due])

    # --- mute -------------------------------------------------------------------------

    async def mute(self, unit_id: int, person_id: int, seconds: int | None) -> datetime | None:
        """Mute (or with None unmute) gate calls to a unit the caller checked the person
        lives in (:meth:`resides`, or their identity's homes). Returns the mute's end."""
        now = self.runtime.clock.now()
        until = now + timedelta(seconds=seconds) if seconds else None
        async with self.session_factory.begin() as session:
            await set_mute(session, unit_id, until, person_id)
        return until

    async def muted_until(self, unit_id: int) -> datetime | None:
        async with self.session_factory() as session:
            return await muted_until(session, unit_id, self.runtime.clock.now())


__all__ = ["Answer", "CallKind", "Outcome", "Verdict", "WalkinDesk", "WalkinError"]
