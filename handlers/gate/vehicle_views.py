"""What the vehicle flows show: the class labels, the answers to a refused
registration, the staff's card (the 行驶证 with its caption and buttons) and the
messages to the resident after staff decide."""

from __future__ import annotations

from html import escape

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from access.plates import VehicleClass
from access.vehicles.models import Vehicle
from access.vehicles.registry import VehicleError
from handlers.gate.keyboards import VehicleDecisionCb


def class_labels() -> dict[str, str]:
    return {
        VehicleClass.SMALL.value: _("🚗 Small car"),
        VehicleClass.LARGE.value: _("🚚 Large vehicle"),
        VehicleClass.NEW_ENERGY.value: _("🔋 New-energy vehicle"),
    }


def vehicle_error_text(exc: VehicleError) -> str:
    texts = {
        "bad_plate": _("That is not a Chinese plate number (like 沪A12345)."),
        "bad_class": _("Please choose small car or large vehicle."),
        "no_document": _("Please send a photo of the vehicle's registration certificate."),
        "not_resident": _("You are not a resident of that home any more."),
        "plate_taken": _(
            "This plate is already registered to another home in your community. If it "
            "is your car, please contact the property office."
        ),
        "already_registered": _("This plate is already registered for your home."),
        "already_decided": _("Someone already decided this registration."),
        "not_found": _("That registration was not found."),
        "not_listed": _("That plate is on neither list."),
        "not_registered": _("No home has that plate registered."),
    }
    return texts.get(exc.code, _("That did not work. Please try again."))


def vehicle_card(row: Vehicle, resident: str, unit_label: str) -> str:
    """The caption of the certificate in the admin group (the group's language)."""
    return "\n".join(
        [
            _("🚗 Vehicle registration #{id}").format(id=row.id),
            _("From: {who} ({unit})").format(who=escape(resident), unit=escape(unit_label)),
            _("Plate: {plate}").format(plate=escape(row.plate)),
            _("Class: {klass}").format(klass=class_labels()[row.vehicle_class.value]),
            _("Please check the plate against the registration certificate above."),
        ]
    )


def vehicle_buttons(vehicle_id: int) -> InlineKeyboardMarkup:
    choices = (("approve", _("✅ Approve")), ("reject", _("⛔ Reject")))
    row = [
        InlineKeyboardButton(
            text=label, callback_data=VehicleDecisionCb(action=action, vehicle_id=vehicle_id).pack()
        )
        for action, label in choices
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


async def post_certificate(bot: Bot, chat_id: int, row: Vehicle, caption: str) -> Message:
    """The certificate as the resident sent it (photo or file), by its Telegram id."""
    assert row.document_file_id is not None
    markup = vehicle_buttons(row.id)
    if row.document_media == "photo":
        return await bot.send_photo(
            chat_id,
            row.document_file_id,
            caption=caption,
            reply_markup=markup,
        )
    return await bot.send_document(
        chat_id,
        row.document_file_id,
        caption=caption,
        reply_markup=markup,
    )


def decided_text(row: Vehicle, approved: bool) -> str:
    """To the resident, in their language."""
    plate = escape(row.plate)
    if approved:
        return _(
            "✅ Your plate {plate} is approved: it opens the community's vehicle gates. "
            "The registration certificate was not kept."
        ).format(plate=plate)
    return _(
        "⛔ The property office did not approve plate {plate}. The registration "
        "certificate was not kept. Please contact them if you have questions."
    ).format(plate=plate)
