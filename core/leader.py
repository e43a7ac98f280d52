"""One process at a time runs the periodic jobs: the scheduler leader.

On PostgreSQL the leader is whoever holds the session-level advisory lock
:data:`SCHEDULER_LOCK` on a connection of its own. The others try again every
``retry_s`` seconds; when the leader's process dies its session ends, the server
frees the lock and the next try takes it over. The leader checks its connection
every ``check_s`` seconds and stops leading the moment it is lost (a database
restart ends every session, so the lock may already be someone else's).

On SQLite there is one bot process per database file: it is the leader, and no
lock is taken (see docs/decisions/0020-scheduler-leader.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import create_engine

log = logging.getLogger(__name__)

# pg_try_advisory_lock key of the scheduler ("cour" "ty" 2); core.migrate has 1.
SCHEDULER_LOCK = 0x636F_7572_7479_0002


class AdvisoryLeader:
    """Contends for :data:`SCHEDULER_LOCK` and calls ``on_elected`` / ``on_deposed``."""

    def __init__(
        self,
        database_url: str,
        *,
        key: int = SCHEDULER_LOCK,
        retry_s: float = 5.0,
        check_s: float = 5.0,
    ) -> None:
        self.database_url = database_url
        self.key = key
        self.retry_s = retry_s
        self.check_s = check_s
        self.leading = False

    async def hold(self, on_elected: Callable[[], None], on_deposed: Callable[[], None]) -> None:
        """Run until cancelled: wait for the lock, lead while its connection lives,
        and start over when it is lost."""
        engine = create_engine(self.database_url, pool=False)
        waiting_logged = False
        try:
            while True:
                try:
                    async with engine.connect() as conn:
                        while not await self._try_lock(conn):
                            if not waiting_logged:
                                log.info("scheduler: another process leads; standing by")
                                waiting_logged = True
                            await asyncio.sleep(self.retry_s)
                        waiting_logged = False
                        self.leading = True
                        log.info("scheduler: this process leads the periodic jobs")
                        on_elected()
                        try:
                            while True:
                                await asyncio.sleep(self.check_s)
                                await conn.scalar(text("SELECT 1"))
                                await conn.commit()
                        finally:
                            self.leading = False
                            on_deposed()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning(
                        "scheduler: lost the database connection, contending again",
                        extra={"fields": {"error": type(exc).__name__}},
                    )
                    await asyncio.sleep(self.retry_s)
        finally:
            # Closing the connection ends the session: the lock is free at once.
            await engine.dispose()

    async def _try_lock(self, conn: AsyncConnection) -> bool:
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        await conn.commit()  # the lock is the session's: no transaction left open
        return bool(got)


def leader_for(database_url: str) -> AdvisoryLeader | None:
    """The leader election a database needs: none on SQLite (one process)."""
    if database_url.startswith("postgresql"):
        return AdvisoryLeader(database_url)
    return None
