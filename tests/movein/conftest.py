"""Move-in tests talk a lot to one private chat: lift the per-chat pacing (which
mirrors Telegram's 1 message/s) so the conversation runs at test speed. The
pacing itself is tested with the sender."""

from __future__ import annotations

from typing import Any

import pytest

from bot.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "send_interval_private_s": 0.001,
            "send_per_minute_group": 100_000,
            "send_rate_global": 100_000.0,
        }
    )


@pytest.fixture(autouse=True)
def _patient_expect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wait up to 15 s (not 5) for the bot's next message.

    Only a failing test waits that long; a passing one returns as soon as the
    message is there. The longer bound keeps these conversation tests reliable
    on a loaded 2-core machine, where one step can take a few seconds.
    """
    from bot.emulator.client import ChatHandle

    original = ChatHandle.expect

    async def expect(self: ChatHandle, *args: Any, timeout: float = 15.0, **kwargs: Any) -> Any:  # noqa: ASYNC109
        return await original(self, *args, timeout=timeout, **kwargs)

    monkeypatch.setattr(ChatHandle, "expect", expect)
