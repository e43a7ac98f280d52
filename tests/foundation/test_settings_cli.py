"""Settings and the command line: a missing or bad setting is one clear line, exit ≠ 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,  # a start imports aiogram: seconds, and more on a loaded machine
    )


def test_help_lists_commands(tmp_path: Path) -> None:
    result = _run(["--help"], {}, tmp_path)
    assert result.returncode == 0
    assert "run" in result.stdout and "migrate" in result.stdout


def test_run_without_token_is_one_clear_line(tmp_path: Path) -> None:
    result = _run(["run"], {}, tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "COURTYARD_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_invalid_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = _run(["run"], {"COURTYARD_TIMEZONE": "Mars/Olympus"}, tmp_path)
    assert result.returncode != 0
    assert "COURTYARD_TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_migrate_creates_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    result = _run(["migrate"], {"COURTYARD_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_secret_key_generated_once_and_private(tmp_path: Path) -> None:
    settings = load_settings(secret_key_file=tmp_path / "key")
    first = settings.secret()
    again = load_settings(secret_key_file=tmp_path / "key").secret()
    assert first == again and len(first) >= 40
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0
    assert first not in repr(settings)


def test_bad_database_url() -> None:
    with pytest.raises(SettingsError, match="COURTYARD_DATABASE_URL"):
        load_settings(database_url="mysql://x")


def test_postgres_url_gets_async_driver() -> None:
    assert load_settings(database_url="postgresql://u@h/db").database_url.startswith(
        "postgresql+asyncpg://"
    )
