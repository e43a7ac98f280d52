"""The resident's conversations at the gate, step by step (see ``invite``,
``worker_request``, ``delivery``, ``daily_help`` and ``vehicle_register`` for what
each step asks)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Invite(StatesGroup):
    unit = State()
    name = State()
    purpose = State()
    window = State()
    custom_window = State()
    entries = State()
    plate = State()
    gates = State()
    confirm = State()


class WorkerRequest(StatesGroup):
    unit = State()
    category = State()
    name = State()
    phone = State()
    company = State()
    dates = State()
    hours = State()
    days = State()
    gates = State()
    confirm = State()


class DeliveryPass(StatesGroup):
    unit = State()
    window = State()
    entries = State()


class DailyHelp(StatesGroup):
    unit = State()
    role = State()
    name = State()
    hours = State()
    days = State()
    gates = State()
    confirm = State()


class HouseholdJoin(StatesGroup):
    home = State()


class VehicleRegister(StatesGroup):
    unit = State()
    plate = State()
    vehicle_class = State()
    document = State()
