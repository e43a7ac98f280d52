"""The accounts of a half-year in which nothing was received, and a button pressed
too late to be answered (issue 21, items 6 and 13)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import load_catalogs
from core.fees.accounts import build_statement, render_statement
from core.fees.documents import cjk_font
from tests.fees.helpers import NOW

needs_font = pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed")


@needs_font
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
async def test_an_empty_half_year_still_has_its_pdf(session, world, locale) -> None:
    data = await build_statement(
        session, world.community, date(2026, 1, 1), date(2026, 7, 1), as_of=NOW
    )
    assert data.received_minor == 0 and not data.received_by_method
    rendered = render_statement(data, locale=locale, translations=load_catalogs()[locale])
    pdf = rendered.pdf()
    assert pdf is not None and pdf.startswith(b"%PDF")


@needs_font
async def test_previous_half_year_pressed_late_sends_the_pdf(fees_bot, world) -> None:
    owner = world.owner_chat
    await owner.send("/accounts")
    statement = await owner.expect("Community accounts")
    await owner.expect(document=True, timeout=30)
    # The press reaches the bot too late to be answered (queued over a restart):
    # the step is still done.
    await owner.press(statement, "Previous half-year", stale=True)
    earlier = await owner.expect("Jan 1, 2026 – Jun 30, 2026", timeout=30)
    assert "This half-year so far" in str(earlier["reply_markup"])
    document = await owner.expect(document=True, timeout=30)
    assert document["document"]["file_name"] == "accounts-202601-202606.pdf"
