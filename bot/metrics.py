"""The bot's probes and metrics: what ``/readyz`` checks in a bot or scheduler
process, the outbox and spool depths read when ``/metrics`` is scraped, and the
small probe server of the processes without an HTTP port of their own (the
scheduler, long polling: ``COURTYARD_METRICS_PORT``). Decision 0022."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from sqlalchemy import func, select

from bot.context import AppContext
from core.fees.chat_models import FeeOutbox, OutboxStatus
from core.fees.spool import PaymentSpool
from core.metrics import OUTBOX_PENDING, SPOOL_PENDING
from core.probes import DepthRefresher, Readiness, current_revisions, serve_probes


def bot_readiness(ctx: AppContext, stopping: Callable[[], bool] = lambda: False) -> Readiness:
    """Database and schema, and Redis when the conversations are kept there."""

    async def revisions() -> set[str]:
        async with ctx.engine.connect() as conn:
            return await conn.run_sync(current_revisions)

    redis_url = ctx.settings.redis_url if ctx.settings.fsm_storage == "redis" else None
    return Readiness(revisions, redis_url=redis_url, stopping=stopping)


def _spool_depth(spool: PaymentSpool) -> int:
    if not spool.directory.is_dir():
        return 0
    return sum(1 for _ in spool.directory.glob("*.json"))


def bot_depths(ctx: AppContext) -> DepthRefresher:
    spool = PaymentSpool(ctx.settings.spool_dir)

    async def refresh() -> None:
        async with ctx.session_factory() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(FeeOutbox)
                .where(FeeOutbox.status == OutboxStatus.PENDING)
            )
        OUTBOX_PENDING.set(int(pending or 0))
        SPOOL_PENDING.set(await asyncio.to_thread(_spool_depth, spool))

    return refresh


@contextlib.asynccontextmanager
async def probe_server(ctx: AppContext) -> AsyncIterator[None]:
    """``/livez``, ``/readyz``, ``/metrics`` on COURTYARD_METRICS_HOST:PORT when set."""
    settings = ctx.settings
    if not settings.metrics_port:
        yield
        return
    runner = await serve_probes(
        bot_readiness(ctx), settings.metrics_host, settings.metrics_port, depths=bot_depths(ctx)
    )
    try:
        yield
    finally:
        await runner.cleanup()
