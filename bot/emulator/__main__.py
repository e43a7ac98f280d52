"""Run the emulator standalone: ``python -m bot.emulator --port 8081``.

Point the bot at it with ``COURTYARD_TELEGRAM_API=http://127.0.0.1:8081`` (any
well-formed token works) and drive users through ``/_emulator/...`` or the
event stream at ``/_emulator/events``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.emulator.emulator import Emulator


def _pair(value: str) -> tuple[int, str]:
    ident, _, name = value.partition(":")
    try:
        return int(ident), name or ident
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected ID:NAME, got {value!r}") from exc


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Local Telegram Bot API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default="courtyard_bot")
    parser.add_argument("--bot-name", default=None)
    parser.add_argument(
        "--bot-id",
        type=int,
        default=None,
        help="fix the bot id (default: taken from the first token used)",
    )
    parser.add_argument(
        "--flood-limits",
        action="store_true",
        help="answer 429 above 1 msg/s per private chat, 20/min per group",
    )
    parser.add_argument(
        "--no-privacy-mode", action="store_true", help="non-admin bots see every group message"
    )
    parser.add_argument(
        "--user",
        type=_pair,
        action="append",
        default=[],
        metavar="ID:NAME",
        help="create a user with a started private chat (repeatable)",
    )
    parser.add_argument(
        "--group",
        type=_pair,
        action="append",
        default=[],
        metavar="ID:TITLE",
        help="create a group with the bot as admin (repeatable)",
    )
    parser.add_argument(
        "--forum",
        type=_pair,
        action="append",
        default=[],
        metavar="ID:TITLE",
        help="create a forum supergroup with the bot as admin (repeatable)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    emu = Emulator(
        args.bot_username,
        bot_id=args.bot_id,
        bot_name=args.bot_name,
        privacy_mode=not args.no_privacy_mode,
        flood_limits=args.flood_limits,
    )
    for user_id, name in args.user:
        emu.user(user_id, name)
    for chat_id, title in args.group:
        emu.group(chat_id, title)
    for chat_id, title in args.forum:
        emu.group(chat_id, title, is_forum=True)
    base_url = await emu.start(args.host, args.port)
    print(f"Bot API emulator on {base_url}  (bot @{args.bot_username})")
    print(f"  token:   {emu.bot_token}  (any 'digits:chars' token works)")
    print(f"  control: {base_url}/_emulator/info   events: {base_url}/_emulator/events")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
