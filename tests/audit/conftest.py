import pytest

from bot.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Telegram's pacing is the sender's business; here it would only make steps wait.
    return settings.model_copy(
        update={"send_interval_private_s": 0.01, "send_per_minute_group": 100_000}
    )
