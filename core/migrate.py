"""Apply the Alembic migrations shipped inside the ``core`` package.

Feature areas add their own revision branches on top of the foundation; we
always upgrade to ``heads`` so every branch is applied.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade_database(database_url: str) -> None:
    """Bring the database to the newest schema (blocking; call from a thread in async code)."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "heads")


async def upgrade_database_async(database_url: str) -> None:
    # Alembic's env.py runs its own event loop, so run it in a worker thread.
    await asyncio.to_thread(upgrade_database, database_url)
