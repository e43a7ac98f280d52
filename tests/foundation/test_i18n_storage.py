"""Translations are complete, conversation state persists (database and Redis)."""

from __future__ import annotations

import uuid

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.i18n import create_i18n, telegram_to_locale
from bot.i18n_tools import missing_translations
from bot.sender import RateLimiter, _Bucket
from bot.settings import Settings
from bot.storage import DatabaseStorage, create_storage
from core.db import create_engine, create_session_factory


def test_every_message_is_translated_in_both_languages() -> None:
    missing = missing_translations()
    assert missing == {"zh_Hans": [], "en": []}


def test_catalogs_load_and_translate() -> None:
    i18n = create_i18n()
    assert i18n.gettext("Home menu", locale="zh_Hans") == "主菜单"
    assert i18n.gettext("Home menu", locale="en") == "Home menu"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-hans", "zh_Hans"), ("zh", "zh_Hans"), ("en-US", "en"), (None, "zh_Hans")],
)
def test_telegram_language_codes(code: str | None, expected: str) -> None:
    assert telegram_to_locale(code) == expected


class Flow(StatesGroup):
    name = State()


async def test_database_storage_survives_a_new_engine(database_url: str) -> None:
    key = StorageKey(bot_id=1, chat_id=42, user_id=42)
    engine = create_engine(database_url)
    storage = DatabaseStorage(create_session_factory(engine))
    await storage.set_state(key, Flow.name)
    await storage.set_data(key, {"unit": "3栋-1201", "n": 2})
    await engine.dispose()

    # A "restarted" process: new engine, new storage, same database.
    engine = create_engine(database_url)
    storage = DatabaseStorage(create_session_factory(engine))
    assert await storage.get_state(key) == Flow.name.state
    assert await storage.get_data(key) == {"unit": "3栋-1201", "n": 2}
    await storage.set_state(key, None)
    assert await storage.get_state(key) is None
    await engine.dispose()


async def test_redis_storage_against_real_redis(settings: Settings) -> None:
    redis_settings = settings.model_copy(update={"fsm_storage": "redis"})
    storage = create_storage(redis_settings, None)  # type: ignore[arg-type]
    key = StorageKey(bot_id=1, chat_id=7, user_id=int(uuid.uuid4().int % 10**9))
    try:
        await storage.set_state(key, Flow.name)
        await storage.update_data(key, {"x": 1})
        again = create_storage(redis_settings, None)  # type: ignore[arg-type]
        assert await again.get_state(key) == Flow.name.state
        assert await again.get_data(key) == {"x": 1}
        await again.close()
    finally:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await storage.close()


def test_rate_limiter_buckets() -> None:
    # Deterministic: bookings are given the time explicitly.
    bucket = _Bucket(capacity=3, rate=1.0, tokens=3, stamp=0.0)
    assert [bucket.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(0.0) == pytest.approx(1.0)


def test_a_group_never_gets_more_than_twenty_in_a_minute() -> None:
    """A burst of 5, then one every 3 s, and never 21 within a minute (Telegram's
    limit: a full 20/min bucket used to let 40 through in the first minute)."""
    limiter = RateLimiter(group_per_minute=20)
    times = [limiter.book_chat(-100, 0.0) for _ in range(45)]
    assert times[:5] == [0.0] * 5
    assert times[5:8] == pytest.approx([3.0, 6.0, 9.0])
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= 60.0, (i, times[i], times[i + 20])
    # Another group is not held up by this one.
    assert limiter.book_chat(-200, 0.0) == 0.0


def test_the_global_rate_holds_in_every_second() -> None:
    limiter = RateLimiter(global_rate=30)
    times = [limiter.book_global(0.0) for _ in range(100)]
    assert times[:30] == [0.0] * 30 and times[30] == pytest.approx(1.0)
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] >= 1.0
    # Later traffic books after what is already booked, never in between.
    assert limiter.book_global(0.5) >= times[-1]
