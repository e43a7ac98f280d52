"""A running sandbox (emulator, bot, gate API, page) in this test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from sqlalchemy import select

from access.passes import issue_visitor_pass
from bot.sandbox.runtime import Sandbox, SandboxOptions
from core.models import Person, Residency, ResidencyStatus


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


async def api_get(sandbox: Sandbox, path: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(sandbox.url + path) as response:
        return response.status, await response.json(content_type=None)


async def api_post(
    sandbox: Sandbox, path: str, body: dict | None = None, headers: dict | None = None
) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(sandbox.url + path, json=body, headers=headers or {}) as response,
    ):
        return response.status, await response.json(content_type=None)


async def dinner_guest_pass(sandbox: Sandbox, host_telegram_id: int = 700_002) -> Any:
    """A single-use visitor pass for the seeded resident's dinner guest, valid 2 h."""
    app = sandbox.require_app()
    async with app.ctx.session_factory() as session:
        host = await session.scalar(select(Person).where(Person.telegram_id == host_telegram_id))
        assert host is not None
        residency = await session.scalar(
            select(Residency).where(
                Residency.person_id == host.id, Residency.status == ResidencyStatus.ACTIVE
            )
        )
        assert residency is not None
        now = sandbox.clock.now()
        issued = await issue_visitor_pass(
            session,
            secret_key=app.ctx.secret_key,
            now=now,
            host_person_id=host.id,
            host_unit_id=residency.unit_id,
            purpose="Dinner",
            valid_from=now,
            valid_until=now + timedelta(hours=2),
            multi_entry=False,
            gate_ids=[],
            holder_name="Sam Taylor",
        )
        await session.commit()
    return issued
