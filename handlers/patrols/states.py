"""The checkpoint scan's conversation states (:mod:`.scan`, :mod:`.lane_check`)."""

from aiogram.fsm.state import State, StatesGroup


class PatrolScan(StatesGroup):
    location = State()
    photo = State()
    verdict = State()  # fire lanes: clear or blocked
