"""``courtyard audit``, run as the operator runs it (click), on the test database."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bot.cli import main
from core.db import create_engine, create_session_factory
from core.models import AuditEntry, StaffRole
from tests.conftest import TEST_SECRET
from tests.factories import make_community, make_staff


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    monkeypatch.setenv("COURTYARD_TIMEZONE", "Asia/Shanghai")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def _seed(database_url: str) -> None:
    async def go() -> None:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as s:
                a = await make_community(s, "阳光花园")
                b = await make_community(s, "Sunny Garden", timezone="Europe/London")
                person, _ = await make_staff(s, a, 503, "王会计", StaffRole.ACCOUNTANT)
                for community, action, day in (
                    (a, "fees.refund", 2),
                    (a, "tickets.take", 2),
                    (b, "fees.refund", 2),
                    (a, "fees.expense", 5),
                ):
                    s.add(
                        AuditEntry(
                            at=datetime(2026, 12, day, 3, tzinfo=UTC),
                            action=action,
                            community_id=community.id,
                            actor_person_id=person.id,
                            actor_telegram_id=503,
                        )
                    )
                await s.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_the_operator_reads_and_exports(cli, database_url) -> None:
    _seed(database_url)
    result = cli(
        "audit", "阳光花园", "--action", "fees", "--since", "2026-12-01", "--until", "2026-12-03"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == ["2026-12-02 11:00  阳光花园  王会计  allowed  fees.refund  Refund a payment"]
    assert "1 row, newest first" in result.stderr

    # Every community, as CSV, times in each community's zone.
    result = cli("audit", "--action", "fees.refund", "--csv")
    assert result.stdout_bytes.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert sorted((r["community"], r["time_local"]) for r in rows) == [
        ("Sunny Garden", "2026-12-02 03:00:00"),
        ("阳光花园", "2026-12-02 11:00:00"),
    ]


def test_the_operator_is_told_what_is_wrong(cli, database_url) -> None:
    _seed(database_url)
    result = cli("audit", "Nowhere")
    assert result.exit_code == 1 and "no community with name or id 'Nowhere'" in result.stderr
    result = cli("audit", "--since", "2026-12-32")
    assert result.exit_code == 2 and "'2026-12-32' is not a day" in result.stderr
    result = cli("audit", "--since", "2026-12-03", "--until", "2026-12-01")
    assert result.exit_code == 2 and "--since is after --until" in result.stderr
