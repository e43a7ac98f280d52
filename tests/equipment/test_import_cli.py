"""``courtyard import-equipment``, run as the operator runs it, on the test database."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from core.db import create_engine, create_session_factory
from core.equipment.models import Equipment
from core.models import StaffRole
from tests.conftest import TEST_SECRET
from tests.factories import make_community

HEADER = "name,kind,place,building,installed_on,vendor,responsible_role\n"
GOOD = (
    HEADER
    + "电梯3-1,Elevator,3栋东侧,3栋,2019-05-01,奥的斯,technician\n"
    + "消防水泵,pump,地下泵房,,2018-01-15,,维修\n"
    + "\n"
    + "北门路灯,light,北门,,,,guard\n"
)


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    monkeypatch.delenv("COURTYARD_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def _items(database_url) -> list[Equipment]:
    async def go():
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                return list((await session.scalars(select(Equipment).order_by(Equipment.id))).all())
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _community(database_url) -> None:
    async def go():
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                await make_community(session, "阳光花园")
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_import_is_idempotent_and_a_bad_file_imports_nothing(cli, database_url, tmp_path):
    _community(database_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "电梯3-1,elevator,3栋,3栋,2019-05-01,奥的斯,technician\n"
        + ",pump,泵房,,,,\n"
        + "电梯3-1,elevator,3栋,3栋,2019-13-01,,janitor\n",
        encoding="utf-8",
    )
    result = cli("import-equipment", "阳光花园", str(bad))
    assert result.exit_code == 1
    assert "3 problem(s); nothing was imported" in result.output
    assert "line 3: the name is missing" in result.output
    assert "line 4: installed_on is not a date" in result.output
    assert "line 4: responsible_role must be" in result.output
    assert _items(database_url) == []

    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8-sig")
    result = cli("import-equipment", "阳光花园", str(good), "--dry-run")
    assert "dry run, nothing written: 阳光花园: 3 items created" in result.output
    assert _items(database_url) == []
    result = cli("import-equipment", "阳光花园", str(good))
    assert "3 items created, 0 updated, 0 unchanged" in result.output
    result = cli("import-equipment", "阳光花园", str(good))
    assert "0 items created, 0 updated, 3 unchanged" in result.output

    good.write_text(GOOD.replace("2018-01-15", "2018-02-01"), encoding="utf-8")
    result = cli("import-equipment", "阳光花园", str(good))
    assert "0 items created, 1 updated, 2 unchanged" in result.output
    items = _items(database_url)
    assert [(i.name, i.kind) for i in items] == [
        ("电梯3-1", "elevator"),
        ("消防水泵", "pump"),
        ("北门路灯", "light"),
    ]
    assert items[1].installed_on == date(2018, 2, 1)
    assert items[1].responsible_role == StaffRole.TECHNICIAN
    assert items[2].responsible_role == StaffRole.GUARD

    result = cli("import-equipment", "无此小区", str(good))
    assert result.exit_code != 0
