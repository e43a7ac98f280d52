"""Apply the Alembic migrations shipped inside the ``core`` package.

Feature areas add their own revision branches on top of the foundation; we
always upgrade to ``heads`` so every branch is applied.

A database that cannot be opened at all (unreachable, refusing us, a SQLite file
that cannot be created) raises :class:`DatabaseUnavailable` with one readable
line; a failure inside a migration is a bug and keeps its traceback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from core.db import masked_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# PostgreSQL error classes worth retrying: connection exception (08), insufficient
# resources such as too many connections (53), operator intervention such as
# "the database system is starting up" (57).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")


class DatabaseUnavailable(Exception):
    """The database cannot be opened: ``url`` (password masked) and why, in one line.

    ``transient`` says whether trying again later may help (the server is down or
    unreachable), as opposed to a URL that must change (wrong credentials, no such
    database, a SQLite path that cannot exist).
    """

    def __init__(self, url: str, reason: str, *, transient: bool) -> None:
        self.url = masked_url(url)
        self.reason = reason
        self.transient = transient
        super().__init__(f"cannot open the database {self.url}: {reason}")

    @classmethod
    def from_error(cls, url: str, exc: BaseException) -> DatabaseUnavailable:
        # SQLAlchemy wraps the driver's error (SQLite's); asyncpg's come as they are.
        cause = getattr(exc, "orig", None) or exc
        if isinstance(cause, OSError):  # refused, unreachable, unknown host, timed out
            if isinstance(cause, TimeoutError) and not str(cause):
                return cls(url, "timed out", transient=True)
            return cls(url, _one_line(cause.strerror or str(cause), cause), transient=True)
        sqlstate = getattr(cause, "sqlstate", None)  # the server answered (asyncpg)
        transient = isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
        return cls(url, _one_line(str(cause), cause), transient=transient)


def _one_line(text: str, exc: BaseException) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


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
            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                reason = f"cannot create the folder {folder} ({exc.strerror or exc})"
                raise DatabaseUnavailable(database_url, reason, transient=False) from exc
    command.upgrade(alembic_config(database_url), "heads")


async def upgrade_database_async(database_url: str) -> None:
    # Alembic's env.py runs its own event loop, so run it in a worker thread.
    await asyncio.to_thread(upgrade_database, database_url)
