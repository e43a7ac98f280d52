"""A running sandbox (emulator, bot, gate API, page) in this test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.sandbox.runtime import Sandbox, SandboxOptions


async def start_sandbox(data_dir: Path, *, language: str = "en") -> Sandbox:
    sandbox = Sandbox(
        SandboxOptions(
            data_dir=data_dir,
            port=0,
            language="en" if language == "en" else "zh_Hans",
            # Jobs run when a test moves the clock; nothing fires behind its back.
            start_scheduler=False,
            snapshot_interval_s=0.5,
        )
    )
    await sandbox.start()
    return sandbox


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_sandbox(tmp_path_factory) -> AsyncIterator[Sandbox]:
    """One sandbox for a module's read-mostly tests (starting one takes seconds)."""
    sandbox = await start_sandbox(tmp_path_factory.mktemp("sandbox"))
    try:
        yield sandbox
    finally:
        await sandbox.stop()
