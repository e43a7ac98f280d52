"""A resident registers their car's plate; staff approve it with the 行驶证.

1. ``/plate`` or 🚗 in the menu; a resident of several homes with gates picks one.
2. The plate, typed (:func:`access.plates.valid_plate` says what one is). A plate
   another home of the community holds is refused at once, with whom to ask.
3. The class: small car or large vehicle (a new-energy plate tells its own, and
   this step is skipped).
4. A photo of the registration certificate (行驶证), as a photo or a file (image or
   PDF); anything else re-asks. The registration is saved with the certificate's
   Telegram file id only, and the certificate is posted to the admin group with
   Approve / Reject (``vehicle_decision``); the resident hears that it is with the
   office, or to call them if the group cannot be reached.
Cancel, from any step: nothing was saved.
"""

from __future__ import annotations

from html import escape

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from access.plates import PLATE_INPUT_MAX_LEN, VehicleClass, plate_class, valid_plate
from access.vehicles.registry import VehicleError, check_plate_free, register_vehicle
from bot.context import AppContext
from bot.sender import deliver
from core.identity import Identity
from handlers.gate.keyboards import PassCb, button
from handlers.gate.pass_steps import (
    NOT_A_COMMAND,
    Home,
    ask,
    chosen_home,
    flow_entry,
    home,
    reask,
)
from handlers.gate.states import VehicleRegister
from handlers.gate.texts import home_gone
from handlers.gate.vehicle_views import (
    class_labels,
    post_certificate,
    vehicle_card,
    vehicle_error_text,
)
from handlers.kit import (
    button_choice,
    commit_before_send,
    group_locale,
    menu_entry,
    private_command,
    private_router,
    read_text,
    reply,
    residents,
)

router = private_router("gate.vehicle_register")
#: The certificate as a file: a picture or a PDF scan.
DOCUMENT_TYPES = F.document.mime_type.startswith("image/") | (
    F.document.mime_type == "application/pdf"
)


async def _begin(event: Message | CallbackQuery, state: FSMContext, found: Home) -> None:
    await ask(
        event,
        state,
        VehicleRegister.plate,
        _(
            "🚗 Register a car for {unit}. Once the property office approves it, its plate "
            "opens the vehicle gates.\nWhat is the plate number? (e.g. 沪A12345)"
        ).format(unit=escape(found.unit.unit_label)),
    )


menu_entry("vehicles_register", __("🚗 Register my car"), residents, order=35)
private_command("plate", __("Register your car's plate"), order=35)
flow_entry(
    router, menu="vehicles_register", command="plate", ask_home=VehicleRegister.unit, begin=_begin
)


@router.message(VehicleRegister.plate, F.text, NOT_A_COMMAND)
async def plate_typed(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity
) -> None:
    text = await read_text(message, max_len=PLATE_INPUT_MAX_LEN)
    if text is None:
        return
    plate = valid_plate(text)
    if plate is None:
        await message.answer(
            _("That does not look like a Chinese plate number. Please send it like 沪A12345.")
        )
        return
    found = await chosen_home(message, state, session, identity)
    if found is None:
        return
    try:
        await check_plate_free(session, found.community.id, found.unit.unit_id, plate)
    except VehicleError as exc:
        await state.clear()
        await message.answer(vehicle_error_text(exc))
        return
    await state.update_data(plate=plate)
    derived = plate_class(plate)
    if derived is not None:
        await state.update_data(vehicle_class=derived.value)
        await _ask_document(message, state, class_labels()[derived.value])
        return
    labels = class_labels()
    await ask(
        message,
        state,
        VehicleRegister.vehicle_class,
        _("Plate {plate}. Is it a small car or a large vehicle?").format(plate=plate),
        [
            button(labels[VehicleClass.SMALL.value], "vclass", VehicleClass.SMALL.value),
            button(labels[VehicleClass.LARGE.value], "vclass", VehicleClass.LARGE.value),
        ],
    )


@router.callback_query(VehicleRegister.vehicle_class, PassCb.filter(F.action == "vclass"))
async def class_chosen(query: CallbackQuery, callback_data: PassCb, state: FSMContext) -> None:
    small_or_large = {k: v for k, v in class_labels().items() if k != VehicleClass.NEW_ENERGY}
    klass = button_choice(callback_data.value, small_or_large)
    await state.update_data(vehicle_class=klass)
    await _ask_document(query, state, small_or_large[klass])


async def _ask_document(event: Message | CallbackQuery, state: FSMContext, label: str) -> None:
    await ask(
        event,
        state,
        VehicleRegister.document,
        _(
            "{label}. Last step: please send a photo of the vehicle's registration "
            "certificate (行驶证), as a photo or a file. It is only shown to the property "
            "office and is not kept after they decide."
        ).format(label=label),
    )


@router.message(VehicleRegister.document, F.photo)
@router.message(VehicleRegister.document, F.document, DOCUMENT_TYPES)
async def certificate_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    app: AppContext,
) -> None:
    if message.photo:
        certificate = {"document_file_id": message.photo[-1].file_id, "document_media": "photo"}
    else:
        assert message.document is not None
        certificate = {"document_file_id": message.document.file_id, "document_media": "document"}
    data = await state.get_data()
    await state.clear()
    found = await home(session, identity, data["unit_id"])
    if found is None or identity.person_id is None:
        await message.answer(home_gone())
        return
    try:
        row = await register_vehicle(
            session,
            plate=data["plate"],
            vehicle_class=VehicleClass(data["vehicle_class"]),
            person_id=identity.person_id,
            unit_id=found.unit.unit_id,
            now=app.clock.now(),
            **certificate,
        )
    except VehicleError as exc:
        again = _("Nothing was saved; you can start again with /plate.")
        await message.answer(vehicle_error_text(exc) + "\n" + again)
        return
    community = found.community
    # Staff may press Approve the moment the card is posted: the row must be there.
    await commit_before_send(session)
    delivery = None
    if community.admin_chat_id is not None and app.bot is not None:
        with app.i18n.use_locale(group_locale(app, community)):
            caption = vehicle_card(row, identity.full_name, found.unit.unit_label)
            delivery = await deliver(
                post_certificate(app.bot, community.admin_chat_id, row, caption)
            )
    if delivery is not None and delivery.ok and delivery.result is not None:
        row.staff_message_id = delivery.result.message_id
        await reply(
            message,
            _(
                "📨 Plate {plate} is with the property office. I will tell you as soon as "
                "they decide."
            ).format(plate=row.plate),
        )
    else:
        await reply(
            message,
            _(
                "Plate {plate} is saved, but I could not reach the property office's group. "
                "Please call them: {phone}"
            ).format(plate=row.plate, phone=escape(community.duty_phone or "—")),
        )


reask(
    router,
    VehicleRegister.plate,
    text=__("Please send the plate number as text (like 沪A12345), or press Cancel."),
)
reask(
    router,
    VehicleRegister.vehicle_class,
    text=__("Please choose small car or large vehicle with the buttons above."),
)
reask(
    router,
    VehicleRegister.document,
    text=__(
        "Please send the registration certificate (行驶证) as a photo, or as an image or PDF file."
    ),
)
reask(router, VehicleRegister.unit, text=__("Please choose the home with the buttons above."))
