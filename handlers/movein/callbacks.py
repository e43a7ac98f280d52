"""Callback data and conversation states of the move-in area (resident and office)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup


class MvCb(CallbackData, prefix="mv"):
    action: str
    id: int = 0
    page: int = 0


class FamCb(CallbackData, prefix="fm"):
    action: str  # u = unit menu, link, add, rm = remove (confirm), rmy = removed
    id: int = 0


class ReviewCb(CallbackData, prefix="rv"):
    action: str  # a = approve, r = reject, m = ask for more
    app_id: int


class HandoverCb(CallbackData, prefix="ho"):
    residency_id: int
    item: str  # HandoverItem value
    direction: str  # HandoverDirection value


class EndCb(CallbackData, prefix="re"):
    residency_id: int
    confirm: bool = False


class EndCancelCb(CallbackData, prefix="rx"):
    """Cancel on the end-residency confirmation (its own prefix: the end buttons
    already posted keep working)."""

    residency_id: int


class MoveIn(StatesGroup):
    code = State()
    community = State()
    building = State()
    floor = State()
    unit = State()
    role = State()
    end_date = State()
    name = State()
    phone = State()
    id_doc = State()
    proof = State()
    rules = State()
    contract = State()
    confirm = State()
    more_docs = State()


class Family(StatesGroup):
    name = State()


class ReviewStates(StatesGroup):
    reason = State()  # a staff member is typing a rejection reason / a request
