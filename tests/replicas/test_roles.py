"""Process roles: `courtyard run --no-migrate --no-scheduler --no-gate-api` and
`courtyard scheduler`."""

from __future__ import annotations

import asyncio
import socket

from click.testing import CliRunner

from bot.app import build_application
from bot.cli import main
from tests.replicas.conftest import free_port


def test_the_roles_are_on_the_command_line() -> None:
    runner = CliRunner()
    run = runner.invoke(main, ["run", "--help"])
    assert run.exit_code == 0
    for flag in ("--no-migrate", "--no-scheduler", "--no-gate-api", "--webhook"):
        assert flag in run.output
    scheduler = runner.invoke(main, ["scheduler", "--help"])
    assert scheduler.exit_code == 0 and "--no-migrate" in scheduler.output


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_without_the_gate_api_and_the_scheduler(settings, emulator) -> None:
    port = free_port()
    settings = settings.model_copy(
        update={"telegram_api": emulator.base_url, "gate_api_port": port}
    )
    for gate_api in (False, True):
        app = await build_application(
            settings, migrate=False, start_scheduler=False, gate_api=gate_api
        )
        try:
            for _ in range(50):  # the gate API starts in the background
                if _listening(port):
                    break
                await asyncio.sleep(0.1)
            assert _listening(port) is gate_api
            assert app.ctx.scheduler is not None and not app.ctx.scheduler.running
        finally:
            await app.close()
