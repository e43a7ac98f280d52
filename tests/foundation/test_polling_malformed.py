"""One update aiogram cannot read does not stall long polling (issue 21 item 17):
it is logged and skipped, and the updates after it are handled."""

from __future__ import annotations

import logging

from bot.emulator import Emulator


async def test_an_unreadable_update_is_skipped_and_logged(
    running_bot, emulator: Emulator, caplog
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.polling")
    user = emulator.user(611, "Dana", language_code="en")
    bad = emulator.inject_update(
        {"message": {"message_id": "not-a-number", "date": "soon", "chat": {"id": 611}}}
    )
    await user.send("/start")
    await user.expect("Welcome to Courtyard")
    await user.send("/help")
    await user.expect("Courtyard")
    skipped = [
        r for r in caplog.records if r.getMessage() == "skipped an update that could not be read"
    ]
    assert [r.fields["update_id"] for r in skipped] == [bad]  # type: ignore[attr-defined]
