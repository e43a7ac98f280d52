"""Sending to a person or to a community's admin group, in the right language.

Text is built inside the recipient's locale (a callable, so gettext runs there);
delivery failures come back as results (see :func:`bot.sender.deliver`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.context import AppContext
from bot.sender import Delivery, deliver
from core.models import Community, Person


def locale_of(app: AppContext, person: Person | None) -> str:
    if person is not None and person.locale:
        return person.locale
    return app.settings.default_locale


async def send_to_person(
    app: AppContext, person: Person, build: Callable[[], str], **kwargs: Any
) -> Delivery:
    """``build`` runs in the person's locale; kwargs go to ``send_message``."""
    assert app.bot is not None
    if person.telegram_id is None:
        return Delivery(ok=False, reason="no_telegram")
    with app.i18n.use_locale(locale_of(app, person)):
        text = build()
        markup = kwargs.pop("reply_markup", None)
        if callable(markup):
            markup = markup()
        return await deliver(
            app.bot.send_message(person.telegram_id, text, reply_markup=markup, **kwargs)
        )


async def send_to_admin_group(
    app: AppContext,
    community: Community,
    build: Callable[[], str],
    *,
    thread_id: int | None = None,
    **kwargs: Any,
) -> Delivery:
    """Post in the community's admin group (in its locale); no-op when none is bound."""
    assert app.bot is not None
    if community.admin_chat_id is None:
        return Delivery(ok=False, reason="no_admin_group")
    with app.i18n.use_locale(community.locale or app.settings.default_locale):
        text = build()
        markup = kwargs.pop("reply_markup", None)
        if callable(markup):
            markup = markup()
        return await deliver(
            app.bot.send_message(
                community.admin_chat_id,
                text,
                message_thread_id=thread_id,
                reply_markup=markup,
                **kwargs,
            )
        )
