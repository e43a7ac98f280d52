"""The plate fields of the gate API's verify request, for :mod:`access.openapi`."""

from __future__ import annotations

from typing import Any

from access.plates import PLATE_INPUT_MAX_LEN

PLATE_PROPERTIES: dict[str, Any] = {
    "plate": {
        "type": "string",
        "minLength": 1,
        "maxLength": PLATE_INPUT_MAX_LEN,
        "description": (
            "A vehicle gate's plate reader: the plate as read (沪A12345; "
            "spaces, dots, lower case and full-width characters are "
            "normalized). Text that is no Chinese plate is refused "
            "`plate_unreadable`."
        ),
    },
    "confidence": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "description": (
            "With plate only: the reader's confidence. Below the server's "
            "threshold the plate is not trusted alone: `plate_unsure` "
            "(ask the guard, or use a code)."
        ),
    },
}


def _only(field: str, *without: str) -> dict[str, Any]:
    """A verify body carrying ``field`` and none of ``without``."""
    return {"required": [field], "not": {"anyOf": [{"required": [w]} for w in without]}}


#: Exactly one credential in a verify body; a confidence only beside a plate.
VERIFY_ONE_OF = [
    _only("code", "qr", "plate", "confidence"),
    _only("qr", "code", "plate", "confidence"),
    _only("plate", "code", "qr"),
]


#: The decision's answer to an exit held for temporary parking.
DECISION_PAYMENT = {
    "payment": {
        "type": ["object", "null"],
        "required": ["amount_minor", "currency", "pay_code"],
        "properties": {
            "amount_minor": {"type": "integer", "minimum": 1},
            "currency": {"type": "string"},
            "pay_code": {"type": "string", "pattern": "^[0-9]{8}$"},
        },
        "description": (
            "With reason payment_due: show the amount and the code. The visitor's host "
            "pays in the chat, or the driver sends the code to the bot and pays there; "
            "then the exit opens."
        ),
    }
}
