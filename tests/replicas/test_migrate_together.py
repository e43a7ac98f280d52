"""`courtyard migrate` started several times at once, and a migration that fails."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.startup import EXIT_SETTINGS
from tests.replicas.conftest import courtyard, process_env


def _migrate(tmp_path: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*courtyard(), "migrate"],
        env=process_env(tmp_path, COURTYARD_DATABASE_URL=url),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.slow
async def test_three_migrations_at_once_on_an_empty_database(
    tmp_path: Path, scratch_pg_url: str
) -> None:
    """They queue on the advisory lock: one applies every revision, the others wait,
    find the schema current and apply nothing; all exit 0."""
    procs = [_migrate(tmp_path, scratch_pg_url) for _ in range(3)]
    results = [await asyncio.to_thread(p.communicate, timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    applied = [out for out, _ in results if out.startswith("applied ")]
    assert len(applied) == 1, results
    assert "0001_foundation" in applied[0]
    assert all(out.rstrip().endswith("database is up to date") for out, _ in results)
    assert not any("Traceback" in err for _, err in results)


async def test_a_failed_migration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "courtyard.db"
    with sqlite3.connect(path) as db:  # a table in the way of the first revision
        db.execute("CREATE TABLE communities (x INTEGER)")
    proc = _migrate(tmp_path, f"sqlite+aiosqlite:///{path}")
    _, err = await asyncio.to_thread(proc.communicate, timeout=120)
    assert proc.returncode == EXIT_SETTINGS, err
    assert err.count("\n") == 1 and err.startswith("courtyard: "), err
    assert "migration" in err and "communities already exists" in err
    assert "courtyard migrate" in err
