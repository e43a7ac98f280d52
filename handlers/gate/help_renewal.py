"""Renewing a daily-help pass for another year (access.passes.renewal).

1. Two weeks before a daily-help pass ends, each household keeping it is told, with
   🔁 Renew for a year (the job ``access.help_renewal``, ``handlers.gate.jobs``);
   /myhelp shows every pass's end and, in its last 30 days, the same button.
2. 🔁 Renew: the pass runs a year more from its end, at once (the gate and any gate
   agent follow); the resident is told the new end, and so are the other households
   keeping it. A second press, or another household's, is told it was renewed already.
   A button for a pass the household does not share is refused and audited.
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from html import escape

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from access.models import Pass
from access.passes import PassError
from access.passes.renewal import renew_daily_help
from access.passes.shared import Household, households_to_tell
from bot.context import AppContext
from bot.notify import send_to_person
from core.formatting import local_dt
from core.identity import Identity
from handlers.gate.keyboards import HelpCb, keyboard
from handlers.gate.pass_steps import homes
from handlers.gate.texts import fmt_end, help_role_labels, pass_error_text
from handlers.kit import answer_query, commit_before_send, private_router, refuse_foreign, reply

router = private_router("gate.help_renewal")


def helper_label(row: Pass) -> str:
    return _("{name} ({role})").format(
        name=escape(row.holder_name), role=help_role_labels().get(row.purpose, "")
    )


def renew_button(row: Pass) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("🔁 Renew {name} for a year").format(name=row.holder_name),
        callback_data=HelpCb(action="renew", pass_id=row.id).pack(),
    )


def reminder_text(row: Pass, timezone: str) -> str:
    """To each household keeping the pass, in their language (the reminder job)."""
    return _(
        "🧹 The daily-help pass of {name} ends on {end}. If they still work for you, "
        "renew it for another year; otherwise it simply stops opening the gate then."
    ).format(
        name=helper_label(row), end=fmt_end(row.valid_until, timezone, get_i18n().current_locale)
    )


def reminder_markup(row: Pass) -> InlineKeyboardMarkup:
    return keyboard([[renew_button(row)]])


def _renewed_text(row: Pass, timezone: str, unit: str | None) -> str:
    end = fmt_end(row.valid_until, timezone, get_i18n().current_locale)
    if unit is None:
        return _("🔁 {name}'s daily-help pass is renewed; it now runs until {end}.").format(
            name=helper_label(row), end=end
        )
    return _(
        "🔁 The household of {unit} renewed {name}'s daily-help pass; it now runs until {end}."
    ).format(unit=escape(unit), name=helper_label(row), end=end)


@router.callback_query(HelpCb.filter(F.action == "renew"))
async def renew(
    query: CallbackQuery,
    callback_data: HelpCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    found_homes = await homes(session, identity)
    if identity.person_id is None or not found_homes:
        await refuse_help_button(query, session, identity, callback_data.pass_id)
        return
    timezone = found_homes[0].community.timezone
    found = await help_action(
        query,
        session,
        identity,
        callback_data.pass_id,
        renew_daily_help(
            session,
            person_id=identity.person_id,
            pass_id=callback_data.pass_id,
            now=app.clock.now(),
            today=local_dt(app.clock.now(), timezone).date(),
        ),
    )
    if found is None:
        return
    row = found.pass_
    others = [
        person
        for person in await households_to_tell(
            session, row.id, local_dt(app.clock.now(), timezone).date()
        )
        if person.id != identity.person_id
    ]
    await commit_before_send(session)
    await answer_query(query)
    await reply(query, _renewed_text(row, timezone, None))
    for person in others:
        await send_to_person(app, person, partial(_renewed_text, row, timezone, found.unit_label))


async def refuse_help_button(
    query: CallbackQuery, session: AsyncSession, identity: Identity, pass_id: int
) -> None:
    await refuse_foreign(
        query,
        session,
        identity,
        "home.use",
        _("That daily-help pass is not shared by your household."),
        target_type="pass",
        target_id=pass_id,
    )


async def help_action(
    query: CallbackQuery,
    session: AsyncSession,
    identity: Identity,
    pass_id: int,
    action: Awaitable[Household],
) -> Household | None:
    """A household's daily-help button done; a refusal answered (None): a pass the
    household does not share is refused and audited, any other reason is told."""
    try:
        return await action
    except PassError as exc:
        if exc.code == "not_found":
            await refuse_help_button(query, session, identity, pass_id)
        else:
            await answer_query(query, pass_error_text(exc))
        return None
