"""``courtyard sandbox`` — the whole product in a browser, without a bot token.

    courtyard sandbox [--host 127.0.0.1] [--port 8000] [--data-dir var/sandbox]
                      [--language zh_Hans|en] [--reset] [--verbose]

Starts the Bot API emulator, the bot, the gate API and the page in one process
(see :mod:`bot.sandbox`), prints the page's address and runs until Ctrl+C.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import sys
from pathlib import Path

import click


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("var/sandbox"),
        show_default=True,
        help="Where the sandbox keeps its own database, keys and Telegram state.",
    )
    @click.option(
        "--language",
        type=click.Choice(["zh_Hans", "en"]),
        default=None,
        help="Language of the demo community when it is created [default: zh_Hans].",
    )
    @click.option("--reset", is_flag=True, help="Forget the demo and seed it again.")
    @click.option("--verbose", is_flag=True, help="Show the bot's log on the console.")
    def sandbox(
        host: str, port: int, data_dir: Path, language: str | None, reset: bool, verbose: bool
    ) -> None:
        """Try Courtyard in the browser: a demo community, its bot, its office and a gate."""
        from bot.logs import setup_logging
        from bot.sandbox.runtime import Sandbox, SandboxOptions, reset_data

        try:  # its database, keys and Telegram state live there: one line if it can't
            data_dir.mkdir(parents=True, exist_ok=True)
            probe = data_dir / ".courtyard-write-test"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            click.echo(
                f"courtyard: cannot use --data-dir {data_dir} ({exc.strerror or exc}): "
                "choose a folder this user can write.",
                err=True,
            )
            sys.exit(2)
        setup_logging("INFO" if verbose else "WARNING", "text")
        if reset:
            reset_data(data_dir)
        options = SandboxOptions(
            data_dir=data_dir,
            host=host,
            port=port,
            language="en" if language == "en" else "zh_Hans",
        )
        try:
            asyncio.run(_serve(Sandbox(options), asked_language=language))
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                click.echo(
                    f"courtyard: port {port} is already in use; try `courtyard sandbox "
                    f"--port {port + 1}`",
                    err=True,
                )
                sys.exit(1)
            raise


async def _serve(sandbox: object, *, asked_language: str | None = None) -> None:
    from bot.sandbox.runtime import Sandbox

    assert isinstance(sandbox, Sandbox)
    click.echo("Starting the Courtyard sandbox (first start seeds a demo community)…")
    url = await sandbox.start()
    click.echo("")
    click.echo(f"  Courtyard sandbox: {url}")
    click.echo(f"  Data: {sandbox.data_dir}  (start over with --reset)")
    state = sandbox.state
    if asked_language and state is not None and state.language != asked_language:
        click.echo(
            f"  Note: the demo community was created in {state.language} earlier; "
            f"add --reset to create it again in {asked_language}."
        )
    click.echo("  Press Ctrl+C to stop.")
    click.echo("")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        click.echo("Stopping…")
        await sandbox.stop()
