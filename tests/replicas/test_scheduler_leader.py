"""Two `courtyard scheduler` processes on one PostgreSQL database: the jobs run in
one of them only, and the other takes over when the first is killed."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest

from bot.emulator import Emulator
from tests.replicas.conftest import courtyard, process_env, stop

LEADS = "this process leads the periodic jobs"
STANDS_BY = "another process leads; standing by"
JOB_RAN = "scheduled job done"


def _text(log: Path) -> str:
    return log.read_text(errors="replace")


async def _until(log: Path, text: str, proc: subprocess.Popen[bytes], within: float) -> None:
    for _ in range(int(within * 10)):
        if text in _text(log):
            return
        assert proc.poll() is None, f"exited {proc.returncode}:\n" + _text(log)[-3000:]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {text!r} within {within}s:\n" + _text(log)[-3000:])


@pytest.mark.postgres
@pytest.mark.slow
async def test_jobs_run_on_one_process_and_the_other_takes_over(
    tmp_path: Path, scratch_pg_url: str, emulator: Emulator
) -> None:
    env = process_env(
        tmp_path,
        COURTYARD_DATABASE_URL=scratch_pg_url,
        COURTYARD_TELEGRAM_API=emulator.base_url,
        COURTYARD_LOG_LEVEL="DEBUG",
    )
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs:
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [*courtyard(), "scheduler"], env=env, cwd=tmp_path, stdout=out, stderr=out
                    )
                )
            await _until(log, LEADS if not procs[:-1] else STANDS_BY, procs[-1], 180)
        first, second = procs
        # fees.spool runs every 15 s: once the leader ran it, the other has run nothing.
        await _until(logs[0], JOB_RAN, first, 60)
        assert JOB_RAN not in _text(logs[1])
        assert LEADS not in _text(logs[1])

        first.send_signal(signal.SIGKILL)  # no goodbye: its database session just ends
        await asyncio.to_thread(first.wait, 10)
        await _until(logs[1], LEADS, second, 30)
        await _until(logs[1], JOB_RAN, second, 60)
        assert await asyncio.to_thread(stop, second) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
