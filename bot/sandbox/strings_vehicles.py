"""The sandbox page's words for the vehicle lane (bot/sandbox/seed_vehicles.py): the
plate reader and its "What to try" step; part of :data:`bot.sandbox.strings.UI`, in the
``sandbox`` translation domain."""

from __future__ import annotations


def _(message: str) -> str:
    return message


PLATE_READER = {
    "gate.plate": _("Plate"),
    "gate.plate_help": _(
        "The camera of a vehicle lane reads the car's plate: type one or pick one, "
        "choose the lane and how sure the camera is."
    ),
    "gate.plate_placeholder": _("Plate, e.g. 沪A12345"),
    "gate.lane_in": _("Entry lane"),
    "gate.lane_out": _("Exit lane"),
    "gate.read_clear": _("Clear read"),
    "gate.read_unsure": _("Blurred read"),
    "gate.read": _("Read"),
    "gate.idle.plate": _("Drive up to the barrier"),
    "gate.pay": _("Parking: {amount} to pay"),
    "gate.pay_code": _("The host pays in the chat, or send /parking {code} to the bot"),
}
CAR_GUIDE = {
    "guide.car.title": _("Drive in: a resident's car and a visitor's"),
    "guide.car.text": _(
        "At the vehicle gate, choose Plate: 沪A12345 is a resident's approved car and "
        "opens; 沪B99999 is on the black list; a blurred read asks the guard. Invite a "
        "visitor with a car plate: that plate opens the vehicle gate within the pass's "
        "window. Move time forward and read it in the exit lane: the exit asks for the "
        "parking fee (30 minutes free, then by the hour); the host pays with 🅿️ Parking in "
        "the chat, and the exit opens. In the admin group, /cars shows who is inside and "
        "/cars log the stays with their time. Residents register their own car with /plate."
    ),
}
