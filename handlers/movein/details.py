"""Moving in: who the person is.

1. Role (owner, tenant, family member), unless the invitation fixed it. An invited
   owner where the office confirms owners goes on as an application (ID and
   ownership document, :mod:`.documents`).
2. Tenants only: the lease end date (``2027-06-30`` or ``2027年6月30日``), after
   today and not absurdly far ahead.
3. Full name as on the ID card (their Telegram name offered as a button).
4. Phone, only through Telegram's contact button and only their own.
5. Next: the ID photo for an application (:mod:`.documents`), the community rules
   for an invitation (:mod:`.agreements`).
"""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.models import ResidencyRole
from core.movein.homes import get_community
from core.movein.rules import is_plain_name, lease_end_problem, parse_date, shared_phone
from core.movein_models import AgreementKind
from core.residents import community_today
from handlers.kit import answer_query, private_router, reply
from handlers.movein.agreements import show_agreement
from handlers.movein.callbacks import MoveIn, MvCb
from handlers.movein.texts import role_label
from handlers.movein.views import ROLES, chat, drop_buttons, read_name

router = private_router("movein.details")


@router.callback_query(MvCb.filter(F.action == "role"), MoveIn.role)
async def role_chosen(query: CallbackQuery, callback_data: MvCb, state: FSMContext) -> None:
    if not 0 <= callback_data.id < len(ROLES):
        await answer_query(query)
        return
    role = ROLES[callback_data.id]
    await state.update_data(role=role.value)
    await answer_query(query)
    message = chat(query)
    await drop_buttons(message)
    await reply(message, _("You are: {role}.").format(role=role_label(role)))
    if role == ResidencyRole.OWNER:
        await owners_apply(message, state)
    if role == ResidencyRole.TENANT:
        await state.set_state(MoveIn.end_date)
        await reply(
            message, _("Until when does your lease run? Send the date, for example 2027-06-30.")
        )
        return
    await ask_name(message, state)


@router.message(MoveIn.role)
async def role_not_chosen(message: Message) -> None:
    await reply(
        message,
        _("Please choose with the buttons above who you are in this home, or send /cancel."),
    )


@router.message(MoveIn.end_date, F.text)
async def end_date_given(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext
) -> None:
    data = await state.get_data()
    community = await get_community(session, int(data["community_id"]))
    assert community is not None
    day = parse_date(message.text or "")
    if day is None:
        await reply(message, _("Please send the date like 2027-06-30."))
        return
    problem = lease_end_problem(day, community_today(community, app.clock))
    if problem == "past":
        await reply(message, _("The lease end must be after today. Please send it again."))
        return
    if problem == "too_far":
        await reply(message, _("That is too far ahead. Please check the date on your lease."))
        return
    await state.update_data(end_date=day.isoformat())
    await ask_name(message, state)


@router.message(MoveIn.end_date)
async def end_date_not_text(message: Message) -> None:
    await reply(message, _("Please type the lease end date, for example 2027-06-30."))


async def owners_apply(message: Message, state: FSMContext) -> None:
    """An invited owner, where the office confirms owners: from here the invitation
    is an application for its unit (ID and ownership document, then the office's
    one-tap approval); tenants and family members join at once."""
    data = await state.get_data()
    if data.get("mode") != "invite" or not data.get("owner_review"):
        return
    await state.update_data(mode="apply")
    await reply(
        message,
        _(
            "In this community the property office confirms every owner: after your "
            "name and phone, please send your ID card and your property ownership "
            "certificate. The office approves with one tap, usually within a working day."
        ),
    )


async def ask_name(message: Message, state: FSMContext) -> None:
    await state.set_state(MoveIn.name)
    user = message.chat
    suggestion = " ".join(filter(None, [user.first_name, user.last_name])) if user else ""
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove = ReplyKeyboardRemove()
    if suggestion and is_plain_name(suggestion):
        markup = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=suggestion)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=_("Full name"),
        )
    await reply(message, _("Your full name, as on your ID card:"), reply_markup=markup)


def _share_phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@router.message(MoveIn.name, F.text)
async def name_given(message: Message, state: FSMContext) -> None:
    name = await read_name(
        message, _("Please type your name with letters only (2 to 60 characters).")
    )
    if name is None:
        return
    await state.update_data(full_name=name)
    await state.set_state(MoveIn.phone)
    await reply(
        message,
        _(
            "Your phone number, so the property office can reach you. Press the button below to "
            "share it."
        ),
        reply_markup=_share_phone_keyboard(),
    )


@router.message(MoveIn.name)
async def name_not_text(message: Message) -> None:
    await reply(message, _("Please type your full name."))


@router.message(MoveIn.phone, F.contact)
async def phone_shared(
    message: Message, state: FSMContext, session: AsyncSession, app: AppContext
) -> None:
    assert message.contact is not None and message.from_user is not None
    if message.contact.user_id != message.from_user.id:
        await reply(
            message,
            _("Please share your own number with the button below, not someone else's contact."),
        )
        return
    await state.update_data(phone=shared_phone(message.contact.phone_number))
    data = await state.get_data()
    if data.get("mode") == "invite":
        await reply(message, _("Thank you."), reply_markup=ReplyKeyboardRemove())
        await show_agreement(message, state, session, app, AgreementKind.RULES)
        return
    await state.set_state(MoveIn.id_doc)
    await reply(
        message,
        _(
            "Now a photo of your ID card (the side with your photo). Send it as a photo, or as a "
            "PDF or image file."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


@router.message(MoveIn.phone)
async def phone_not_shared(message: Message) -> None:
    await reply(
        message,
        _("Please press “📱 Share my phone number” below; typing the number is not enough."),
        reply_markup=_share_phone_keyboard(),
    )
