"""Inline keyboards every area builds the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup


def paged_keyboard(
    buttons: Sequence[InlineKeyboardButton],
    *,
    page: int,
    per_page: int,
    page_callback: Callable[[int], str],
    extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
    columns: int = 1,
    total: int | None = None,
) -> InlineKeyboardMarkup:
    """One page of ``buttons`` (``columns`` a row), then ◀ page/pages ▶ when there
    is more than one page (each sends ``page_callback(page)``), then ``extra_rows``.

    ``buttons`` are all the items, sliced here; or, with ``total`` given, already
    this page's items out of ``total`` (the caller paged them in its query).
    """
    if total is None:
        total = len(buttons)
        shown = buttons[page * per_page : (page + 1) * per_page]
    else:
        shown = buttons
    rows = [list(shown[i : i + columns]) for i in range(0, len(shown), columns)]
    pages = max(1, -(-total // per_page))
    if pages > 1:
        nav = [_turn(f"{page + 1}/{pages}", page, page_callback)]
        if page > 0:
            nav.insert(0, _turn("◀", page - 1, page_callback))
        if page < pages - 1:
            nav.append(_turn("▶", page + 1, page_callback))
        rows.append(nav)
    rows.extend(list(row) for row in extra_rows)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _turn(text: str, page: int, page_callback: Callable[[int], str]) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=page_callback(page))
