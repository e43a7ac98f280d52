"""The operator commands, run as the operator runs them (click), on the test database."""

from __future__ import annotations

import asyncio
import csv

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from core.clock import SystemClock
from core.db import create_engine, create_session_factory
from core.invitations import find_invitation, normalize_code
from core.models import Building, Staff, StaffRole, Unit
from tests.conftest import TEST_SECRET

UNITS = "building,unit,floor,area_m2\n1栋,101,1,89.50\n1栋,102,1,76\n2栋,1201,12,120.25\n"


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    monkeypatch.delenv("COURTYARD_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


def _query(database_url, fn):
    async def go():
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _counts(database_url):
    async def fn(s):
        return (
            await s.scalar(select(func.count(Building.id))),
            await s.scalar(select(func.count(Unit.id))),
        )

    return _query(database_url, fn)


def test_community_units_and_first_manager(cli, database_url, tmp_path):
    result = cli("community", "add", "阳光花园", "--timezone", "Asia/Shanghai", "--currency", "CNY")
    assert result.exit_code == 0, result.output
    assert "created with id" in result.output
    result = cli("community", "add", "阳光花园", "--timezone", "Asia/Shanghai", "--currency", "CNY")
    assert result.exit_code == 1 and "already exists" in result.output
    result = cli("community", "add", "翠湖苑", "--timezone", "Asia/Nowhere", "--currency", "CNY")
    assert result.exit_code == 1 and "unknown time zone" in result.output

    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    result = cli("import-units", "阳光花园", str(units))
    assert result.exit_code == 0, result.output
    assert "2 buildings created, 3 units created, 0 updated, 0 unchanged" in result.output
    result = cli("import-units", "阳光花园", str(units))
    assert "0 buildings created, 0 units created, 0 updated, 3 unchanged" in result.output
    assert _counts(database_url) == (2, 3)

    result = cli("add-staff", "阳光花园", "424242", "--role", "manager")
    assert result.exit_code == 0 and "added as manager" in result.output

    async def staff(s):
        return (await s.scalars(select(Staff.role))).all()

    assert _query(database_url, staff) == [StaffRole.MANAGER]
    result = cli("community", "list")
    assert "阳光花园" in result.output and "3 units" in result.output


def test_malformed_csv_changes_nothing(cli, database_url, tmp_path):
    cli("community", "add", "阳光花园", "--timezone", "Asia/Shanghai", "--currency", "CNY")
    bad = tmp_path / "bad.csv"
    bad.write_text(UNITS + "3栋,301,三,80\n3栋,302,3,\n", encoding="utf-8")
    result = cli("import-units", "阳光花园", str(bad))
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "line 5: floor must be a whole number" in result.output
    assert "line 6: area_m2 must be a positive number" in result.output
    assert _counts(database_url) == (0, 0)
    result = cli("import-units", "没有这个小区", str(tmp_path / "bad.csv"))
    assert result.exit_code == 1


def test_invites_export_csv_and_printable_page(cli, database_url, tmp_path):
    cli(
        "community",
        "add",
        "Sunny Garden",
        "--timezone",
        "Asia/Shanghai",
        "--currency",
        "CNY",
        "--locale",
        "en",
    )
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    cli("import-units", "Sunny Garden", str(units))
    out = tmp_path / "letters"
    result = cli("invites", "Sunny Garden", "--out", str(out), "--bot-username", "courtyard_bot")
    assert result.exit_code == 0, result.output
    assert "3 invitations issued" in result.output
    rows = list(csv.DictReader((out / "invitations.csv").open(encoding="utf-8-sig")))
    assert [(r["building"], r["unit"]) for r in rows] == [
        ("1栋", "101"),
        ("1栋", "102"),
        ("2栋", "1201"),
    ]
    first = rows[0]
    code = normalize_code(first["code"])
    assert first["link"] == f"https://t.me/courtyard_bot?start=i_{code}"
    page = (out / "letterbox-1栋.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2 and first["code"] in page
    assert "Scan the QR code" in page and "@courtyard_bot" in page
    assert (out / "invitations.csv").stat().st_mode & 0o077 == 0  # live codes: owner only

    async def check(s):
        return await find_invitation(
            s, code, secret_key=TEST_SECRET, clock=SystemClock(), telegram_id=1
        )

    assert _query(database_url, check).max_uses == 6

    result = cli("revoke-invites", "Sunny Garden", "--unit", "1栋-101")
    assert "1 invitation(s) revoked" in result.output
    result = cli("revoke-invites", "Sunny Garden")
    assert result.exit_code == 2


def test_chinese_letterbox_page(cli, tmp_path):
    cli("community", "add", "阳光花园", "--timezone", "Asia/Shanghai", "--currency", "CNY")
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    cli("import-units", "阳光花园", str(units))
    cli(
        "invites",
        "阳光花园",
        "--out",
        str(tmp_path / "l"),
        "--bot-username",
        "courtyard_bot",
        "--building",
        "2栋",
    )
    page = (tmp_path / "l" / "letterbox-2栋.html").read_text(encoding="utf-8")
    assert "用手机相机扫描二维码" in page and "邀请码" in page
    assert not (tmp_path / "l" / "letterbox-1栋.html").exists()
