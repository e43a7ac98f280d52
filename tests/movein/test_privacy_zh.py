"""/privacy in Chinese (issue 21 item 21): the language by its name, never its code,
and the Telegram username among what we keep; the face consent names no engine."""

from __future__ import annotations

from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from tests.factories import make_community, make_resident, make_unit


async def test_privacy_names_the_language_and_shows_the_username(
    running_bot, emulator, session_factory
):
    async with session_factory() as s:
        community = await make_community(s, "阳光花园")
        unit = await make_unit(s, community, "3栋", "1201")
        await make_resident(s, unit, 8101, "陈业主")
        await s.commit()
    owner = emulator.user(8101, "陈", username="chen_owner", language_code="zh-hans")
    await owner.send("/privacy")
    shown = await owner.expect("我们保存的关于您的资料")
    assert "语言：简体中文" in shown["text"] and "zh_Hans" not in shown["text"]
    assert "Telegram 用户名：@chen_owner" in shown["text"]


def test_face_consent_names_no_engine():
    for locale in ("en", "zh_Hans"):
        with (LOCALES_DIR / locale / "LC_MESSAGES" / "faces.po").open("rb") as f:
            catalog = read_po(f)
        consent = [m for m in catalog if "What is stored" in str(m.id)]
        assert consent and not [m for m in consent if "128" in f"{m.id}{m.string}"]
