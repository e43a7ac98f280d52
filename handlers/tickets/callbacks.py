"""Button data of the ticket flows (one short prefix each)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class TicketAction(CallbackData, prefix="tk"):
    """A button on the staff card."""

    action: str  # take | assign | on_site | resolve | reject | back
    ticket_id: int


class TicketAssign(CallbackData, prefix="tka"):
    ticket_id: int
    person_id: int


class RateTicket(CallbackData, prefix="rt"):
    """The resident's 1–5 rating under the "resolved" notice."""

    ticket_id: int
    rating: int


class MyTicket(CallbackData, prefix="mt"):
    """The resident's buttons in "My tickets" and under notices."""

    action: str  # list | open | write | cancel | cancel_yes | reopen | rate | no_comment
    ticket_id: int = 0


class Filing(CallbackData, prefix="tf"):
    """A button of the filing conversation: the step it answers and the choice."""

    step: str
    value: str
