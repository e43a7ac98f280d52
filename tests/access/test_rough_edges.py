"""The gate's rough edges (issue 21 item 22): a pass's end written one way
everywhere (24:00 of its last day, never 00:00 of the next), the example in the
custom window's error is itself accepted (computed from the clock), and a gate
decision's reason reads the same on the sandbox's terminal as in /log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiogram.utils.i18n import I18n

from access.decision import Reason
from access.reason_texts import REASON_TEXTS
from bot.i18n import create_i18n
from bot.sandbox.strings import ui_strings
from handlers.gate.texts import fmt_end, fmt_window, reason_label
from tests.access.test_e2e import world as world  # the fixture, shared

TZ = "Asia/Shanghai"


def test_a_pass_ending_at_midnight_ends_at_2400_of_its_last_day():
    start = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    midnight = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # Nov 27 00:00 in Shanghai
    assert fmt_end(midnight, TZ, "en") == "Nov 26, 2026 24:00"
    assert fmt_window(start, midnight, TZ, "en") == "Nov 25, 2026 09:00 – Nov 26, 2026 24:00"
    today_end = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert fmt_window(start, today_end, TZ, "en") == "Nov 25, 2026 09:00 – 24:00"
    assert fmt_end(datetime(2026, 11, 25, 10, 30, tzinfo=UTC), TZ, "en") == "Nov 25, 2026 18:30"
    assert fmt_end(midnight, TZ, "zh_Hans") == "2026年11月26日 24:00"


async def test_the_custom_window_example_is_accepted(world):
    world.app.ctx.clock.advance(timedelta(days=40))  # past any date written in the code
    r = world.resident
    await r.send("/invite")
    await r.expect("What is the visitor's name?")
    await r.send("Zhang San")
    await r.expect("purpose")
    await r.send("Visit")
    window = await r.expect("When may the visitor come in?")
    await r.press(window, "🗓 Custom…")
    await r.expect("Send the start and the end")
    await r.send("tomorrow please")
    error = await r.expect("I could not read that")
    example = re.search(
        r"like (\d{4}-\d\d-\d\d \d\d:\d\d - \d{4}-\d\d-\d\d \d\d:\d\d)", error["text"]
    )
    assert example is not None, error["text"]
    await r.send(example.group(1))
    await r.expect("Single entry, or any number")


def test_the_terminal_and_the_log_give_the_same_reason():
    assert {r.value for r in Reason} <= set(REASON_TEXTS)
    i18n: I18n = create_i18n()
    for locale in ("en", "zh_Hans"):
        page = ui_strings(locale)
        with i18n.context(), i18n.use_locale(locale):
            for reason in Reason:
                assert page[f"reason.{reason.value}"] == reason_label(reason.value), reason
    assert ui_strings("zh_Hans")["reason.no_match"] != REASON_TEXTS["no_match"]  # translated
