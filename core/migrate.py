"""Apply the Alembic migrations shipped inside the ``core`` package.

Feature areas add their own revision branches on top of the foundation; we
always upgrade to ``heads`` so every branch is applied.

A database that cannot be opened at all (unreachable, refusing us, a SQLite file
that cannot be created) raises :class:`DatabaseUnavailable` with one readable
line; a migration that fails raises :class:`MigrationFailed`, one line too (the
command line prints it and exits 2 or 3 like any other start-up failure).

On PostgreSQL the whole upgrade runs in one transaction that first takes the
advisory lock :data:`MIGRATION_LOCK`: replicas started together queue on it, and
each after the first finds the schema current and does nothing (without it two
of three concurrent ``courtyard migrate`` died on a duplicate key in ``pg_type``).
The lock is a transaction lock, so it is released by the commit, the rollback, or
the end of a process that died holding it.
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
# Within a migration also: serialization failure and deadlock (40), lock not
# available (55P03) — trying again later can work.
_TRANSIENT_IN_MIGRATION = ("40", "55P03")

# pg_advisory_xact_lock key of schema upgrades ("cour" "ty" 1): one at a time.
MIGRATION_LOCK = 0x636F_7572_7479_0001


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


class MigrationFailed(Exception):
    """A migration failed: why, in one line. ``transient`` when trying again later may
    work (the connection was lost, a lock or resource was not available); otherwise
    the database or the migration needs a person (exit code 2)."""

    def __init__(self, url: str, reason: str, *, transient: bool) -> None:
        self.url = masked_url(url)
        self.reason = reason
        self.transient = transient
        super().__init__(f"the migration of {self.url} failed: {reason}")

    @classmethod
    def from_error(cls, url: str, exc: BaseException) -> MigrationFailed:
        cause = getattr(exc, "orig", None) or exc
        # asyncpg's error sits under SQLAlchemy's adapter error
        cause = getattr(cause, "__cause__", None) or cause
        if isinstance(cause, OSError | ConnectionError):
            return cls(url, _one_line(str(cause) or type(cause).__name__, cause), transient=True)
        sqlstate = getattr(cause, "sqlstate", None)
        transient = isinstance(sqlstate, str) and (
            sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
            or sqlstate.startswith(_TRANSIENT_IN_MIGRATION)
        )
        reason = _one_line(str(cause), cause)
        if not isinstance(cause, Exception) or reason == type(cause).__name__:
            reason = f"{type(exc).__name__}: {_one_line(str(exc), exc)}"
        return cls(url, reason, transient=transient)


def _one_line(text: str, exc: BaseException) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade_database(database_url: str) -> list[str]:
    """Bring the database to the newest schema (blocking; call from a thread in async
    code). Returns the revisions applied, in order (none: it was up to date)."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                reason = f"cannot create the folder {folder} ({exc.strerror or exc})"
                raise DatabaseUnavailable(database_url, reason, transient=False) from exc
    cfg = alembic_config(database_url)
    applied: list[str] = []
    cfg.attributes["applied"] = applied
    try:
        command.upgrade(cfg, "heads")
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        raise MigrationFailed.from_error(database_url, exc) from exc
    return applied


async def upgrade_database_async(database_url: str) -> list[str]:
    # Alembic's env.py runs its own event loop, so run it in a worker thread.
    return await asyncio.to_thread(upgrade_database, database_url)
