"""``courtyard run --webhook`` as a real process against the Bot API emulator: it
registers its webhook with the secret token, refuses requests without that secret,
answers the ones Telegram sends, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.emulator import Emulator
from core.models import Person
from tests.conftest import TEST_TOKEN

SECRET = "whk-Secret_token-42"


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _until(condition: Callable[[], bool], proc: subprocess.Popen, log: Path, what: str):
    """Wait (up to a minute: the process imports and migrates first) for ``condition``."""
    for _ in range(600):
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(
                f"courtyard exited ({proc.returncode}) before {what}:\n" + _tail(log)
            )
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n" + _tail(log))


def _start_update(user_id: int, update_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Hua", "language_code": "en"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def _people(session_factory, telegram_id: int) -> int:
    async with session_factory() as s:
        return int(
            await s.scalar(select(func.count(Person.id)).where(Person.telegram_id == telegram_id))
            or 0
        )


async def test_courtyard_run_webhook_process(
    emulator: Emulator, database_url: str, session_factory, tmp_path: Path
) -> None:
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    endpoint = f"{public}/telegram/webhook"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    env.update(
        COURTYARD_BOT_TOKEN=TEST_TOKEN,
        COURTYARD_TELEGRAM_API=emulator.base_url,
        COURTYARD_DATABASE_URL=database_url,
        COURTYARD_SECRET_KEY_FILE=str(tmp_path / "key"),
        COURTYARD_SPOOL_DIR=str(tmp_path / "spool"),
        COURTYARD_GATE_API_PORT=str(_free_port()),
        COURTYARD_WEBHOOK_URL=public,
        COURTYARD_WEBHOOK_SECRET=SECRET,
        COURTYARD_WEBHOOK_HOST="127.0.0.1",
        COURTYARD_WEBHOOK_PORT=str(port),
    )
    log = tmp_path / "stderr.log"
    stranger = emulator.user(521, "Hua", language_code="en")
    resident = emulator.user(522, "Iris", language_code="en")
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--webhook"],
            env=env,
            cwd=tmp_path,
            stdout=stderr,
            stderr=stderr,
        )
    try:
        # It registers the webhook with its secret token, for the updates it handles.
        await _until(lambda: bool(emulator.webhook.url), proc, log, "setWebhook")
        hook = emulator.webhook
        assert hook.url == endpoint and hook.secret_token == SECRET
        assert {"message", "callback_query", "pre_checkout_query"} <= set(hook.allowed_updates)
        (call,) = emulator.calls_of("setWebhook")
        assert call.ok and call.params["secret_token"] == SECRET

        async with aiohttp.ClientSession() as http:
            # Without the right secret: 401, no handler runs, nothing is written.
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
                async with http.post(
                    endpoint, json=_start_update(521, 9001), headers=headers
                ) as response:
                    assert response.status == 401
            await stranger.expect_nothing(within=1.0)
            assert await _people(session_factory, 521) == 0

            # The same update with the secret is handled.
            async with http.post(
                endpoint,
                json=_start_update(521, 9001),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response:
                assert response.status == 200
            await stranger.expect("Welcome to Courtyard", timeout=30)

        # And what Telegram delivers (with the secret, on its own) is answered.
        await resident.send("/start")
        await resident.expect("Welcome to Courtyard", timeout=30)
        # The webhook answers once the update is handled and committed, a moment after
        # the reply reached the chat.
        await _until(lambda: emulator.pending_updates == [], proc, log, "the webhook's answer")
        assert emulator.webhook.last_error_message is None
        assert emulator.pending_updates == []
        assert await _people(session_factory, 522) == 1
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            returncode = await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait, 10)
            raise AssertionError("courtyard did not stop on SIGTERM") from None

    # SIGTERM: a clean exit, no traceback, and it no longer listens.
    output = _tail(log)
    assert returncode == 0, output
    full = log.read_text(errors="replace")
    assert "Traceback" not in full and '"level": "error"' not in full, output
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))
