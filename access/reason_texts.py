"""The words for a gate decision's reason: one table, read by the chat (``/log``,
the answers to opening the gate) and by the sandbox's gate terminal, so a face
refused at the gate reads the same on its display and in the log.

English source texts, extracted into the ``access`` translation domain; each reader
translates them in its own locale (``gettext(REASON_TEXTS[reason])``).
"""

from __future__ import annotations


def _(message: str) -> str:
    """Marks a source text for extraction; translation happens where it is shown."""
    return message


REASON_TEXTS: dict[str, str] = {
    "ok": _("entered"),
    "remote": _("opened from the chat"),
    "staff": _("opened by staff"),
    "resident": _("resident (face)"),
    "emergency": _("emergency mode (doors open)"),
    "exit": _("left"),
    "door_failed": _("granted, door failed"),
    "unknown": _("unknown code"),
    "revoked": _("revoked pass"),
    "expired": _("expired pass"),
    "not_yet_valid": _("pass not valid yet"),
    "wrong_gate": _("wrong gate"),
    "outside_hours": _("outside allowed hours"),
    "used": _("pass already used"),
    "suspended": _("pass suspended by its households"),
    "locked_out": _("keypad locked (too many wrong codes)"),
    "gate_disabled": _("gate disabled"),
    "not_allowed": _("not allowed"),
    "rate_limited": _("too many openings"),
    "face_unusable": _("face not clear enough"),
    "no_match": _("face not recognised"),
    "ambiguous": _("two residents look alike: not sure"),
    "use_code": _("too many face tries: use a code"),
    "second_factor": _("look-alike enrolled: face needs a code too"),
    "liveness_failed": _("face not shown to be live (blink / turn)"),
    "let_in": _("let in by a resident"),
    "refused": _("refused by a resident"),
    "no_answer": _("no answer from the household"),
    "no_residents": _("nobody lives in that unit"),
    "muted": _("the household muted calls"),
    "refused_recently": _("refused a moment ago"),
    "unknown_unit": _("no such unit"),
    "vehicle": _("registered vehicle"),
    "listed": _("plate on the white list"),
    "blocked": _("plate on the black list"),
    "plate_unreadable": _("plate not readable"),
    "plate_unsure": _("plate read unsure: guard to check"),
    "payment_due": _("parking to pay"),
}
