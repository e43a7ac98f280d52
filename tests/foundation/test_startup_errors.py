"""Every way `courtyard` can fail to start is one line on stderr naming the setting
to check, a non-zero exit (2: fix a setting, 3: a service could not be reached),
no traceback and no secret. The real console script runs as a process."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetMe

from bot.emulator import Emulator
from bot.settings import load_settings
from bot.startup import EXIT_SETTINGS, EXIT_UNAVAILABLE, explain

TOKEN = "123456789:the-right-token-for-this-bot"
WRONG_TOKEN = "111:wrong-token-never-shown"
DB_PASSWORD = "hunter2-never-shown"
# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE_PG = f"postgresql+asyncpg://postgres:{DB_PASSWORD}@127.0.0.1:1/courtyard"


def _courtyard() -> list[str]:
    script = shutil.which("courtyard", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bot"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _impossible_dir(tmp_path: Path) -> Path:
    """A folder nobody can create, root included (tests may run as root, who may
    create /nonexistent/dir): its parent is a regular file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return blocker / "dir"


async def _run(args: list[str], tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    env.update(
        COURTYARD_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'courtyard.db'}",
        COURTYARD_SECRET_KEY_FILE=str(tmp_path / "key"),
        COURTYARD_GATE_API_PORT=str(_free_port()),
        COURTYARD_SPOOL_DIR=str(tmp_path / "spool"),
    )
    env.update(settings)
    # In a thread: the emulator some tests start serves from this event loop.
    return await asyncio.to_thread(
        subprocess.run,
        [*_courtyard(), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_clear_line(
    result: subprocess.CompletedProcess, code: int, *names: str, secrets: tuple[str, ...] = ()
) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("courtyard: ")
    for name in names:
        assert name in line, line
    for secret in secrets:
        assert secret not in result.stderr and secret not in result.stdout
    return line


async def test_wrong_bot_token(tmp_path: Path) -> None:
    async with Emulator(token=TOKEN, strict_token=True) as emulator:
        result = await _run(
            ["run"],
            tmp_path,
            COURTYARD_BOT_TOKEN=WRONG_TOKEN,
            COURTYARD_TELEGRAM_API=emulator.base_url,
        )
    line = _one_clear_line(
        result,
        EXIT_SETTINGS,
        "COURTYARD_BOT_TOKEN",
        secrets=(WRONG_TOKEN, WRONG_TOKEN.split(":")[1]),
    )
    assert "Unauthorized" in line
    # Telegram is asked first: a bot that cannot log in migrates nothing.
    assert not (tmp_path / "courtyard.db").exists()


async def test_unreachable_telegram_api(tmp_path: Path) -> None:
    result = await _run(
        ["run"],
        tmp_path,
        COURTYARD_BOT_TOKEN=TOKEN,
        COURTYARD_TELEGRAM_API="http://127.0.0.1:1",
    )
    line = _one_clear_line(
        result, EXIT_UNAVAILABLE, "COURTYARD_TELEGRAM_API", secrets=(TOKEN, TOKEN.split(":")[1])
    )
    assert "http://127.0.0.1:1" in line


@pytest.mark.parametrize(
    "args",
    [["migrate"], ["gate", "list"], ["community", "list"], ["fees", "list", "X"]],
    ids=" ".join,
)
async def test_unreachable_database(tmp_path: Path, args: list[str]) -> None:
    result = await _run(args, tmp_path, COURTYARD_DATABASE_URL=UNREACHABLE_PG)
    line = _one_clear_line(
        result, EXIT_UNAVAILABLE, "COURTYARD_DATABASE_URL", secrets=(DB_PASSWORD,)
    )
    assert "postgres:***@127.0.0.1:1" in line


async def test_run_with_an_unreachable_database(tmp_path: Path, emulator: Emulator) -> None:
    result = await _run(
        ["run"],
        tmp_path,
        COURTYARD_BOT_TOKEN=TOKEN,
        COURTYARD_TELEGRAM_API=emulator.base_url,
        COURTYARD_DATABASE_URL=UNREACHABLE_PG,
    )
    _one_clear_line(
        result, EXIT_UNAVAILABLE, "COURTYARD_DATABASE_URL", secrets=(DB_PASSWORD, TOKEN)
    )


async def test_run_with_redis_state_and_no_redis(tmp_path: Path, emulator: Emulator) -> None:
    """Several processes keep conversations in Redis: without it no update could be
    handled, so the bot does not start."""
    result = await _run(
        ["run"],
        tmp_path,
        COURTYARD_BOT_TOKEN=TOKEN,
        COURTYARD_TELEGRAM_API=emulator.base_url,
        COURTYARD_FSM_STORAGE="redis",
        COURTYARD_REDIS_URL=f"redis://:{DB_PASSWORD}@127.0.0.1:1/0",
    )
    line = _one_clear_line(
        result, EXIT_UNAVAILABLE, "COURTYARD_REDIS_URL", secrets=(DB_PASSWORD, TOKEN)
    )
    assert "Redis at redis://:***@127.0.0.1:1/0" in line


@pytest.mark.parametrize("command", ["migrate", "run"])
async def test_sqlite_file_in_a_folder_that_cannot_exist(
    tmp_path: Path, emulator: Emulator, command: str
) -> None:
    db = _impossible_dir(tmp_path) / "courtyard.db"
    result = await _run(
        [command],
        tmp_path,
        COURTYARD_BOT_TOKEN=TOKEN,
        COURTYARD_TELEGRAM_API=emulator.base_url,
        COURTYARD_DATABASE_URL=f"sqlite+aiosqlite:///{db}",
    )
    line = _one_clear_line(result, EXIT_SETTINGS, "COURTYARD_DATABASE_URL", secrets=(TOKEN,))
    assert str(db.parent) in line


async def test_secret_key_file_that_cannot_be_written(tmp_path: Path) -> None:
    key_file = _impossible_dir(tmp_path) / "key"
    result = await _run(
        ["run"],
        tmp_path,
        COURTYARD_BOT_TOKEN=TOKEN,
        COURTYARD_TELEGRAM_API="http://127.0.0.1:1",
        COURTYARD_SECRET_KEY_FILE=str(key_file),
    )
    line = _one_clear_line(result, EXIT_SETTINGS, "COURTYARD_SECRET_KEY_FILE", secrets=(TOKEN,))
    assert str(key_file) in line


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({}, "COURTYARD_WEBHOOK_URL"),
        ({"COURTYARD_WEBHOOK_URL": "https://bot.example.org"}, "COURTYARD_WEBHOOK_SECRET"),
        (
            {"COURTYARD_WEBHOOK_URL": "https://bot.example.org", "COURTYARD_WEBHOOK_SECRET": "a b"},
            "COURTYARD_WEBHOOK_SECRET",
        ),
    ],
)
async def test_webhook_settings_are_checked_before_anything(
    tmp_path: Path, settings: dict[str, str], name: str
) -> None:
    result = await _run(["run", "--webhook"], tmp_path, COURTYARD_BOT_TOKEN=TOKEN, **settings)
    _one_clear_line(result, EXIT_SETTINGS, name, secrets=(TOKEN,))
    assert not (tmp_path / "courtyard.db").exists()  # nothing migrated


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("COURTYARD_SEND_INTERVAL_PRIVATE_S", "0", "a number above 0, at most 60"),
        ("COURTYARD_SEND_RATE_GLOBAL", "0", "a number above 0, at most 1000"),
        ("COURTYARD_SEND_PER_MINUTE_GROUP", "0", "a whole number from 1 to 600"),
        ("COURTYARD_CONCURRENT_UPDATES", "-1", "a whole number from 1 to 1000"),
        ("COURTYARD_GATE_API_PORT", "-8090", "a whole number from 1 to 65535"),
    ],
)
async def test_numeric_settings_out_of_range(
    tmp_path: Path, name: str, value: str, allowed: str
) -> None:
    """A zero or negative number where it makes no sense (a rate of 0 would never
    send; an interval of 0 divided by zero) is a setting to fix, named with its range."""
    result = await _run(["run"], tmp_path, COURTYARD_BOT_TOKEN=TOKEN, **{name: value})
    line = _one_clear_line(result, EXIT_SETTINGS, f"{name}={value}", secrets=(TOKEN,))
    assert allowed in line


async def test_sandbox_data_dir_that_cannot_exist(tmp_path: Path) -> None:
    data_dir = _impossible_dir(tmp_path)
    result = await _run(["sandbox", "--data-dir", str(data_dir), "--port", "0"], tmp_path)
    line = _one_clear_line(result, EXIT_SETTINGS, "--data-dir")
    assert str(data_dir) in line


def test_a_token_in_an_error_is_masked() -> None:
    """aiohttp names the whole request URL in some errors (a malformed address),
    and the bot token is part of that URL."""
    settings = load_settings(bot_token=TOKEN, telegram_api="http://127.0.0.1:1")
    error = TelegramNetworkError(
        method=GetMe(), message=f"InvalidUrlClientError: http://127.0.0.1:1/bot{TOKEN}/getMe"
    )
    failure = explain(error, settings)
    assert failure is not None and failure.code == EXIT_UNAVAILABLE
    assert TOKEN.split(":")[1] not in failure.message
    assert "COURTYARD_TELEGRAM_API" in failure.message
    # Even without the settings (an error before they were read).
    failure = explain(error, None)
    assert failure is not None and TOKEN.split(":")[1] not in failure.message
