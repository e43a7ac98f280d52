"""Button data of the notice flows (one short prefix each)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class Compose(CallbackData, prefix="nc"):
    """A button of the staff's composing conversation: the step and the choice."""

    step: str  # kind | audience | attach | send
    value: str


class NoticeAck(CallbackData, prefix="na"):
    """The resident's "Got it" under a notice."""

    notice_id: int


class MyNotice(CallbackData, prefix="mn"):
    """A notice on the resident's list."""

    notice_id: int


class NoticeFigures(CallbackData, prefix="nf"):
    """Staff: a notice's delivery figures."""

    notice_id: int


class VoteCb(CallbackData, prefix="vt"):
    """An owner's buttons on a vote: open it, choose for a unit, confirm."""

    action: str  # open | choose | cast | list
    vote_id: int
    unit_id: int = 0
    choice: str = ""


class VoteStaff(CallbackData, prefix="vs"):
    """Staff: a vote's turnout, or a step of opening one."""

    action: str  # turnout | matter | ballot | whole | open
    vote_id: int = 0
    value: str = ""
