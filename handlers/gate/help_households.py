"""A household's daily help: the shared passes, suspending, and inviting a household.

1. ``/myhelp`` or 🧹 in the menu: the daily-help passes the resident's households
   share, each with whether it works for them, until when, and its buttons (in its
   last 30 days, 🔁 Renew: ``help_renewal``); ➕ makes a new one (``daily_help``).
2. ⏸ Suspend for us / ▶️ Resume: for this household only, at once; when every
   household has suspended it (or moved out) it stops opening the gate.
3. 👪 Invite a household: a single-use link ``t.me/<bot>?start=h_<key>`` (two days),
   to forward to the other household.
4. The other household opens the link: sees whose pass it is and when it works, and
   joins it for their home (picked when they have several); the inviter is told.
A button for a pass the resident no longer shares is refused and audited.
"""

from __future__ import annotations

from datetime import date
from html import escape

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.lookups import person_by_id
from access.passes import PassError
from access.passes.renewal import renewable
from access.passes.shared import (
    HOUSEHOLD_PREFIX,
    invitation,
    invite_household,
    join_household,
    my_households,
    set_suspended,
)
from bot.context import AppContext
from bot.notify import send_to_person
from core.formatting import local_dt
from core.identity import Identity
from handlers.gate.help_renewal import (
    help_action,
    helper_label,
    refuse_help_button,
    renew_button,
)
from handlers.gate.keyboards import HelpCb, PassCb, button, keyboard
from handlers.gate.pass_steps import homes, reask, resident_asking
from handlers.gate.states import HouseholdJoin
from handlers.gate.texts import fmt_end, fmt_hours, pass_error_text
from handlers.gate.views import share_url
from handlers.kit import (
    answer_query,
    commit_before_send,
    menu_entry,
    private_command,
    private_router,
    reply,
    residents,
)

router = private_router("gate.help_households")

menu_entry("help", __("🧹 Daily help"), residents, order=36)
private_command("myhelp", __("Daily help: share, suspend or resume"), order=37)


async def _zone(session: AsyncSession, identity: Identity) -> str:
    """The resident's community's time zone (residencies are dated there)."""
    found = await homes(session, identity)
    return found[0].community.timezone if found else "UTC"


async def _today(session: AsyncSession, identity: Identity, app: AppContext) -> date:
    return local_dt(app.clock.now(), await _zone(session, identity)).date()


@router.callback_query(F.data == "menu:help", StateFilter("*"))
@router.message(Command("myhelp"), StateFilter("*"))
async def my_help(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    person_id = await resident_asking(event, state, identity)
    if person_id is None:
        return
    now = app.clock.now()
    timezone = await _zone(session, identity)
    shared = await my_households(session, person_id, local_dt(now, timezone).date())
    lines = [_("🧹 Daily help of your household:")] if shared else [_("No daily-help pass yet.")]
    rows: list[list[InlineKeyboardButton]] = []
    locale = get_i18n().current_locale
    for found in shared:
        row, suspended = found.pass_, found.link.suspended_at is not None
        status = _("⏸ suspended for you") if suspended else _("works for you")
        lines.append(
            f"• {helper_label(row)} · {escape(found.unit_label)} · "
            f"{fmt_hours(row.daily_start_min, row.daily_end_min, row.weekdays)} · {status} · "
            + _("until {end}").format(end=fmt_end(row.valid_until, timezone, locale))
        )
        toggle = (
            HelpCb(action="resume", pass_id=row.id)
            if suspended
            else HelpCb(action="suspend", pass_id=row.id)
        )
        label = _("▶️ Resume {name}") if suspended else _("⏸ Suspend {name}")
        rows.append(
            [
                InlineKeyboardButton(
                    text=label.format(name=row.holder_name), callback_data=toggle.pack()
                ),
                InlineKeyboardButton(
                    text=_("👪 Invite a household"),
                    callback_data=HelpCb(action="invite", pass_id=row.id).pack(),
                ),
            ]
        )
        if renewable(row, now):
            rows.append([renew_button(row)])
    rows.append(
        [InlineKeyboardButton(text=_("➕ New daily-help pass"), callback_data="menu:help_new")]
    )
    await reply(event, "\n".join(lines), reply_markup=keyboard(rows))


@router.callback_query(HelpCb.filter(F.action.in_({"suspend", "resume"})))
async def toggle(
    query: CallbackQuery,
    callback_data: HelpCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if identity.person_id is None:
        await refuse_help_button(query, session, identity, callback_data.pass_id)
        return
    suspend = callback_data.action == "suspend"
    found = await help_action(
        query,
        session,
        identity,
        callback_data.pass_id,
        set_suspended(
            session,
            person_id=identity.person_id,
            pass_id=callback_data.pass_id,
            suspended=suspend,
            now=app.clock.now(),
            today=await _today(session, identity, app),
        ),
    )
    if found is None:
        return
    await answer_query(query)
    name = helper_label(found.pass_)
    text = (
        _(
            "⏸ {name} is suspended for {unit}: you will not be told of their comings and goings, "
            "and if no other household keeps the pass it stops opening the gate now."
        )
        if suspend
        else _("▶️ {name} works again for {unit}; you will be told when they come and go.")
    )
    await reply(query, text.format(name=name, unit=escape(found.unit_label)))


@router.callback_query(HelpCb.filter(F.action == "invite"))
async def invite(
    query: CallbackQuery,
    callback_data: HelpCb,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if identity.person_id is None:
        await refuse_help_button(query, session, identity, callback_data.pass_id)
        return
    try:
        key = await invite_household(
            session,
            secret_key=app.secret_key,
            person_id=identity.person_id,
            pass_id=callback_data.pass_id,
            now=app.clock.now(),
            today=await _today(session, identity, app),
        )
    except PassError:
        await refuse_help_button(query, session, identity, callback_data.pass_id)
        return
    await commit_before_send(session)
    await answer_query(query)
    link = app.deep_link(HOUSEHOLD_PREFIX + key)
    share = InlineKeyboardButton(
        text=_("📤 Share the invitation"), url=share_url(link, _("Share our daily help"))
    )
    await reply(
        query,
        _(
            "Forward this link to the other household. It works once, within two days; "
            "they join the pass for their home:\n{link}"
        ).format(link=link),
        reply_markup=keyboard([[share]]),
    )


@router.message(
    CommandStart(deep_link=True, magic=F.args.startswith(HOUSEHOLD_PREFIX)), StateFilter("*")
)
async def opens_invitation(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if await resident_asking(message, state, identity) is None:
        return
    key = (command.args or "")[len(HOUSEHOLD_PREFIX) :]
    try:
        _link, row = await invitation(
            session, secret_key=app.secret_key, key=key, now=app.clock.now()
        )
    except PassError as exc:
        await message.answer(pass_error_text(exc))
        return
    mine = [h for h in await homes(session, identity) if h.community.id == row.community_id]
    if not mine:
        await message.answer(pass_error_text(PassError("other_community")))
        return
    await state.set_state(HouseholdJoin.home)
    await state.update_data(invite_key=key)
    text = _(
        "👪 You are invited to share the daily-help pass of {who}: {hours}.\nJoin it for your home?"
    ).format(
        who=helper_label(row), hours=fmt_hours(row.daily_start_min, row.daily_end_min, row.weekdays)
    )
    rows = [
        [button(_("✅ Join for {unit}").format(unit=h.unit.unit_label), "hjoin", h.unit.unit_id)]
        for h in mine
    ]
    rows.append([button(_("✖️ Cancel"), "abort")])
    await message.answer(text, reply_markup=keyboard(rows))


@router.callback_query(HouseholdJoin.home, PassCb.numbered("hjoin"))
async def join(
    query: CallbackQuery,
    callback_data: PassCb,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    key = (await state.get_data()).get("invite_key", "")
    await state.clear()
    if identity.person_id is None:
        await answer_query(query, pass_error_text(PassError("not_resident")))
        return
    try:
        row, inviter_id = await join_household(
            session,
            secret_key=app.secret_key,
            key=key,
            person_id=identity.person_id,
            unit_id=int(callback_data.value),
            now=app.clock.now(),
        )
    except PassError as exc:
        await answer_query(query)
        await reply(query, pass_error_text(exc))
        return
    await commit_before_send(session)
    await answer_query(query)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await reply(
        query,
        _(
            "✅ Your household now shares {who}. You will be told when they come and go; "
            "/myhelp to suspend it for you."
        ).format(who=helper_label(row)),
    )
    inviter = await person_by_id(session, inviter_id) if inviter_id else None
    if inviter is not None and app.bot is not None:
        name = identity.full_name

        def build() -> str:
            return _("👪 {name}'s household now shares {who}.").format(
                name=escape(name), who=helper_label(row)
            )

        with app.i18n.context():
            await send_to_person(app, inviter, build)


reask(
    router,
    HouseholdJoin.home,
    text=__("Please choose your home with the buttons, or press Cancel."),
)
