"""Face access outside any update: abandoned enrollments are cleaned up.

- Every five minutes, pending templates of enrollments left unfinished for longer
  than the store's ``PENDING_TTL`` are deleted (they never reached the gate).

The face service itself (``app.faces``) is built and started with the gate runtime
at start-up (``bot.services.build_gate``).
"""

from __future__ import annotations

from access.faces.store import purge_pending
from bot.context import AppContext
from core.scheduler import Scheduler


async def purge_pending_job(ctx: AppContext) -> int:
    async with ctx.session_factory.begin() as session:
        return await purge_pending(session, ctx.clock.now())


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    scheduler.add_periodic("faces.purge_pending", lambda: purge_pending_job(ctx), 300)
