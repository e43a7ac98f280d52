"""Shared fixtures: a real database per test, the Bot API emulator, the running bot.

The database is SQLite (a fresh copy of a migrated template file per test) unless
``COURTYARD_TEST_DATABASE_URL`` points at PostgreSQL, in which case the schema is
migrated once and every table is truncated between tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.settings import Settings
from core.db import Base, create_engine, create_session_factory
from core.migrate import upgrade_database

PG_URL = os.environ.get("COURTYARD_TEST_DATABASE_URL")
TEST_TOKEN = "123456789:TEST-token-for-the-emulator"
TEST_SECRET = "test-secret-key-not-for-production"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs COURTYARD_TEST_DATABASE_URL (PostgreSQL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_migrated() -> str | None:
    if not PG_URL:
        return None

    async def reset() -> None:
        engine = create_engine(PG_URL, pool=False)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())
    upgrade_database(PG_URL)
    return PG_URL


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _pg_migrated: str | None
) -> Iterator[str]:
    if _pg_migrated:
        _truncate_pg(_pg_migrated)
        yield _pg_migrated
        return
    template: Path = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "courtyard.db"
    shutil.copyfile(template, path)
    yield f"sqlite+aiosqlite:///{path}"


def _truncate_pg(url: str) -> None:
    async def truncate() -> None:
        engine = create_engine(url, pool=False)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    import bot.all_models  # noqa: F401

    asyncio.run(truncate())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        bot_token=TEST_TOKEN,  # type: ignore[arg-type]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        secret_key_file=tmp_path / ".secret_key",
        spool_dir=tmp_path / "spool",
        default_locale="zh_Hans",
        log_format="text",
        face_workers=0,  # templates in-process: the face tests share one engine
    )


# --- The bot running against the Bot API emulator -------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[object]:
    from bot.emulator import Emulator

    emu = Emulator(bot_username="courtyard_bot")
    await emu.start(host="127.0.0.1", port=0)
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def running_bot(settings: Settings, emulator: object) -> AsyncIterator[object]:
    """The real application (dispatcher, middlewares, database, storage) polling the
    emulator in this event loop. Tests act as users through the emulator."""
    from tests.harness import start_bot

    async with start_bot(settings, emulator) as app:
        yield app


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The code-shape figures (tests/foundation/test_shape.py), when those tests ran."""
    shape = sys.modules.get("tests.foundation.test_shape")
    for name, figure in getattr(shape, "FIGURES", {}).items():
        terminalreporter.write_line(f"shape: {name}: {figure}")
