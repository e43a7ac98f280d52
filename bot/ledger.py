"""Each update handled once: the ledger of handled update ids (core.delivery).

:class:`DbSessionMiddleware` asks :meth:`UpdateLedger.first` before anything else
in the update's transaction; ``False`` means the update was handled before (this is
a delivery again) and it is skipped.

The update's row is written in its own transaction, as it commits, when that
transaction changes anything — rows, or the conversation state (also in Redis):
so the row exists exactly when the update's effects do. An update that changed
nothing writes no row (a commit, and on PostgreSQL a disk flush, only to remember
it cost ten times the update itself, decision 0019); handling it again changes
nothing either, at most a reply comes twice.

Checked first, without a database round trip for a new update:

- One process (conversation turns in the process): the ids this process took are
  in memory; the table is read only for ids an earlier process can have handled
  (not above the highest id it held when this process started).
- Replicas (turns in Redis): the conversation's turn says whether an id as high
  has had a turn before; only then (or when that is not known: the key expired, an
  update without a conversation) is the table read. Two deliveries of one update
  on two replicas take the conversation's turn one after the other, so the second
  finds the row; if both ever commit changes, the second's row conflicts and its
  whole transaction is rolled back (:class:`DeliveredAgain`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from core import delivery, sends
from core.db import utcnow

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600
# session.info keys: conversation-state changes waiting for the commit (bot.storage),
# the update id to record when the transaction changes anything, and "the
# conversation state changed" outside the database (Redis).
PENDING_STATE = "fsm_pending"
PENDING_UPDATE = "handled_update"
STATE_CHANGED = "state_changed"
# connection.info key: a statement that writes ran in the current transaction.
_WROTE = "ledger_wrote"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH")
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


class DeliveredAgain(Exception):
    """Another delivery of this update committed first: this one is rolled back."""


def _writes_rows(session: Session) -> bool:
    if session.info.get(PENDING_STATE) or session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get(_WROTE))


@event.listens_for(Session, "before_commit")
def _record_handled_update(session: Session) -> None:
    update_id = session.info.get(PENDING_UPDATE)
    if update_id is None:
        return
    rows = _writes_rows(session)
    if not rows and not session.info.get(STATE_CHANGED):
        return  # nothing to remember yet (a later commit of the update may change things)
    del session.info[PENDING_UPDATE]
    if not rows and session.get_bind().dialect.name == "postgresql":
        # Only the conversation (in Redis) changed: this row alone need not wait for the
        # disk (ten times an update's cost). The bot dying loses nothing; only the
        # database server crashing in the next moments could, and then at worst the
        # update is handled again.
        session.execute(_ASYNC_COMMIT)
    params = {"update_id": update_id, "handled_at": utcnow()}
    if session.execute(delivery.CLAIM, params).first() is None:
        raise DeliveredAgain(update_id)


def track_writes(engine: AsyncEngine | Engine) -> None:
    """Note on each connection whether its transaction wrote anything."""
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if event.contains(sync, "before_cursor_execute", _note_write):
        return
    event.listen(sync, "before_cursor_execute", _note_write)
    event.listen(sync, "commit", _forget_writes)
    event.listen(sync, "rollback", _forget_writes)


def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
        conn.info[_WROTE] = True


def _forget_writes(conn: Any) -> None:
    try:
        conn.info.pop(_WROTE, None)
    except Exception:  # an invalidated connection has no info left to clear
        return


@contextmanager
def apart_from_update(session: AsyncSession) -> Iterator[None]:
    """A commit inside an update that is not the update's effect (a first contact's
    person row, committed before the handler runs): it does not record the update as
    handled. A process dying in the handler then leaves the update to be handled
    again, instead of a new person's first message answered by nobody."""
    update_id = session.info.pop(PENDING_UPDATE, None)
    try:
        yield
    finally:
        if update_id is not None:
            session.info[PENDING_UPDATE] = update_id


class UpdateLedger:
    """Whether an update is the first delivery of its id to be handled."""

    # Ids taken by this process: enough to cover every update that can be in flight
    # or delivered again while this process runs.
    REMEMBER = 20_000

    def __init__(self, engine: AsyncEngine, *, replicas: bool) -> None:
        self.replicas = replicas
        track_writes(engine)
        self._ceiling: int | None = None  # highest id an earlier process handled
        self._taken: OrderedDict[int, None] = OrderedDict()

    async def first(
        self, session: AsyncSession, update_id: int, seen_before: bool | None = None
    ) -> bool:
        """``seen_before``: from the conversation's turn (bot.ordering), None if unknown."""
        if update_id in self._taken:
            return False
        if self.replicas:
            look = seen_before is not False
        else:
            if self._ceiling is None:
                self._ceiling = await delivery.last_handled(session) or 0
            look = update_id <= self._ceiling
        if look and await delivery.was_handled(await session.connection(), update_id):
            return False
        self._taken[update_id] = None
        if len(self._taken) > self.REMEMBER:
            self._taken.popitem(last=False)
        session.info[PENDING_UPDATE] = update_id
        return True

    def release(self, update_id: int) -> None:
        """The update's transaction rolled back: a delivery again must be handled."""
        self._taken.pop(update_id, None)


async def prune_job(ctx: AppContext) -> int:
    """The periodic job: forget updates handled long ago (core.delivery.KEEP)."""
    async with ctx.session_factory() as session:
        # Real time, not ctx.clock: rows are stamped with it, and what matters is how
        # long Telegram may deliver an update again.
        count = await delivery.prune_handled(session, utcnow())
        # And the claims of messages jobs sent long ago (core.sends).
        await sends.prune_claims(session, utcnow())
        await session.commit()
    return count
