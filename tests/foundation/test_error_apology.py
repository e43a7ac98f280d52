"""The apology for a failed update speaks the language the person chose with
/language, not the one their Telegram app reports."""

from __future__ import annotations

from sqlalchemy import text

from bot.emulator import Emulator
from bot.settings import Settings
from tests.foundation.test_bot_e2e import failing_router
from tests.harness import idle, start_bot


async def _switch_to_chinese(user) -> None:
    await user.send("/language")
    choice = await user.expect("Choose your language")
    await user.press(choice, "简体中文")
    await user.expect_edit(text_contains="语言已设置为简体中文")


async def test_apology_speaks_the_chosen_language(settings: Settings, emulator: Emulator):
    async with start_bot(settings, emulator, extra_routers=[failing_router()]):
        user = emulator.user(521, "Lin", language_code="en")
        await _switch_to_chinese(user)
        await user.send("/boom")
        msg = await user.expect("抱歉，我们这边出了点问题")
        assert "internal detail" not in msg["text"]
        # Someone who did not choose keeps Telegram's language.
        other = emulator.user(522, "Max", language_code="en")
        await other.send("/boom")
        await other.expect("Sorry, something went wrong on our side")


async def test_apology_speaks_the_chosen_language_when_the_sender_cannot_be_loaded(
    settings: Settings, emulator: Emulator, session
):
    """The database fails before the bot knows who wrote (in a group it always reads
    the sender afresh): the language comes from what this process already knows."""
    group = emulator.group(-100521, "Neighbours")
    group.add_member(523, "Lin", language_code="en")
    async with start_bot(settings, emulator) as app:
        user = emulator.user(523, "Lin", language_code="en")
        await _switch_to_chinese(user)
        await idle(app)
        await session.execute(text("ALTER TABLE people RENAME TO people_away"))
        await session.commit()
        try:
            await group.send(523, "/help")
            await group.expect("抱歉，刚才没能保存")
        finally:
            await session.execute(text("ALTER TABLE people_away RENAME TO people"))
            await session.commit()
