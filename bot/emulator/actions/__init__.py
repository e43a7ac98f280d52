"""User-side actions: what a person does in the Telegram app, turned into updates.

Both the in-process Python client (`client.py`) and the HTTP control API
(`control/`) call these, so a browser sandbox and a pytest test drive the
bot through exactly the same code. Impossible actions raise `EmulatorError`
(a test bug or a UI mistake), never a Bot API error.
"""

from bot.emulator.actions.base import DocumentUpload, EmulatorTimeout
from bot.emulator.actions.buttons import ButtonActions, all_buttons, find_button
from bot.emulator.actions.membership import MembershipActions
from bot.emulator.actions.payments import PaymentOutcome


class UserActions(ButtonActions, MembershipActions):
    """Everything an emulated person can do."""


__all__ = [
    "DocumentUpload",
    "EmulatorTimeout",
    "PaymentOutcome",
    "UserActions",
    "all_buttons",
    "find_button",
]
