"""Callback data and buttons the gate's chat flows share.

``PassCb`` carries every button of the resident's side (one prefix, an action and a
value); the admin group's buttons each have their own class.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _


class PassCb(CallbackData, prefix="ps"):
    action: str
    value: str = ""

    @classmethod
    def numbered(cls, *actions: str) -> Any:
        """The filter for buttons whose value is an id: forged or garbled data
        (``ps:revoke:notanumber``) matches no handler and is answered as a stale
        button, never parsed into a ValueError."""
        return cls.filter(F.action.in_(set(actions)) & F.value.regexp(r"^[0-9]{1,18}$"))


class GateAlertCb(CallbackData, prefix="ga"):
    action: str
    gate_id: int


class WorkerDecisionCb(CallbackData, prefix="wp"):
    action: str
    pass_id: int


class VehicleDecisionCb(CallbackData, prefix="vd"):
    action: str
    vehicle_id: int


class ParkingCb(CallbackData, prefix="pk"):
    stay_id: int


class StaffOpenCb(CallbackData, prefix="so"):
    gate_id: int


class LogCsvCb(CallbackData, prefix="lc"):
    kind: str
    value: str


def button(text: str, action: str, value: object = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=PassCb(action=action, value=str(value)).pack()
    )


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_row() -> list[InlineKeyboardButton]:
    return [button(_("✖️ Cancel"), "abort")]


def with_cancel(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    """The step's buttons and the flow's Cancel under them."""
    return keyboard([*rows, cancel_row()])


class PresenceCb(CallbackData, prefix="pin"):
    page: int


class HelpCb(CallbackData, prefix="dh"):
    """A household's daily-help buttons: suspend, resume, invite another household."""

    action: str
    pass_id: int
