"""Button data of the survey flows (one short prefix each)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class SurveyCb(CallbackData, prefix="sq"):
    """A resident's buttons: open a survey, start, answer the question at ``pos``
    (pick, toggle, done, skip), submit (signed or not)."""

    action: str  # open | start | pick | toggle | done | skip | submit
    survey_id: int
    pos: int = 0
    value: str = ""


class SurveyStaff(CallbackData, prefix="ss"):
    """Staff: a survey's results, or a step of opening one."""

    action: str  # results | template | custom | kind | finish | open | cancel
    survey_id: int = 0
    value: str = ""
