"""Periodic wake-ups for the services.

Deadlines, reminders and expiries live in the domain tables; a job only asks a
service "is anything due now?". A restart therefore loses nothing, and running
a job twice is harmless because each service marks what it has done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: Callable[[], Awaitable[object]]
    seconds: float


class Scheduler:
    def __init__(self, timezone: str = "UTC") -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        self.jobs: dict[str, PeriodicJob] = {}

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
            try:
                await job.func()
            except Exception:
                log.exception("scheduled job failed", extra={"fields": {"job": job.name}})

        return run

    async def run_now(self, name: str) -> None:
        await self._guarded(self.jobs[name])()

    async def run_all_once(self) -> None:
        for name in list(self.jobs):
            await self.run_now(name)

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
