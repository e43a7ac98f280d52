"""Alembic environment: runs migrations on the async engine given in the config."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import text
from sqlalchemy.engine import Connection

import bot.all_models  # noqa: F401  (fills Base.metadata; the list is in the assembly)
from core.db import Base, create_engine
from core.migrate import MIGRATION_LOCK, DatabaseUnavailable

config = context.config
target_metadata = Base.metadata


def _note_applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    # core.migrate.upgrade_database reports what it applied (alembic's own log is quiet).
    applied = config.attributes.get("applied")
    if applied is not None and step.is_upgrade:
        applied.append(step.up_revision_id)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=_note_applied,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url, pool=False)
    try:
        try:
            connection = await engine.connect()
        except Exception as exc:  # not even connected: one line for the operator
            raise DatabaseUnavailable.from_error(url, exc) from exc
        try:
            if connection.dialect.name == "postgresql":
                # Replicas migrating at once wait here; alembic then runs inside this
                # transaction (it reads the current revision after the wait).
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            await connection.run_sync(_run)
            await connection.commit()
        finally:
            await connection.close()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
