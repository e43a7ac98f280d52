"""Move-in tests talk a lot to one private chat: lift the per-chat pacing (which
mirrors Telegram's 1 message/s) so the conversation runs at test speed. The
pacing itself is tested with the sender."""

from __future__ import annotations

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
