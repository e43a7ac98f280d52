"""Periodic wake-ups for the services.

Deadlines, reminders and expiries live in the domain tables; a job only asks a
service "is anything due now?". A restart therefore loses nothing, and running
a job twice is harmless because each service marks what it has done.

With several processes on one PostgreSQL database only the scheduler leader runs
the jobs (:mod:`core.leader`): :meth:`Scheduler.start` then contends for the lead
and the jobs start when it is won, pause when it is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from core.leader import AdvisoryLeader
from core.metrics import JOB_RUNS, JOB_SECONDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: Callable[[], Awaitable[object]]
    seconds: float


class Scheduler:
    def __init__(self, timezone: str = "UTC", *, leader: AdvisoryLeader | None = None) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self.jobs: dict[str, PeriodicJob] = {}
        self.leader = leader
        self._contending: asyncio.Task[None] | None = None

    def add_periodic(
        self, name: str, func: Callable[[], Awaitable[object]], seconds: float
    ) -> None:
        job = PeriodicJob(name, func, seconds)
        self.jobs[name] = job
        self._scheduler.add_job(
            self._guarded(job),
            "interval",
            seconds=seconds,
            id=name,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )

    def _guarded(self, job: PeriodicJob) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            started = time.perf_counter()
            try:
                await job.func()
            except Exception:
                JOB_RUNS.labels(job.name, "failed").inc()
                log.exception("scheduled job failed", extra={"fields": {"job": job.name}})
            else:
                JOB_RUNS.labels(job.name, "ok").inc()
                log.debug("scheduled job done", extra={"fields": {"job": job.name}})
            finally:
                JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)

        return run

    async def run_now(self, name: str) -> None:
        await self._guarded(self.jobs[name])()

    async def run_all_once(self) -> None:
        for name in list(self.jobs):
            await self.run_now(name)

    @property
    def running(self) -> bool:
        """The jobs are running here (this process leads, or needs no leader)."""
        return bool(self._scheduler.state == STATE_RUNNING)

    def start(self) -> None:
        """Run the jobs: at once without a leader election, else once elected."""
        if self.leader is None:
            self._run_jobs()
        elif self._contending is None:
            self._contending = asyncio.create_task(
                self.leader.hold(self._run_jobs, self._pause_jobs), name="scheduler-leader"
            )

    def _run_jobs(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()
        else:
            self._scheduler.resume()

    def _pause_jobs(self) -> None:
        # A job already running finishes; no new run starts until elected again.
        if self._scheduler.running:
            self._scheduler.pause()

    def shutdown(self) -> None:
        if self._contending is not None:
            self._contending.cancel()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def aclose(self) -> None:
        """:meth:`shutdown`, and wait until the lead is given up (its connection closed)."""
        self.shutdown()
        if self._contending is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._contending
            self._contending = None
