"""The /privacy registry: how each area exports and erases a person's data.

Every area that keeps personal data registers, at import time and beside its tables,
its section of the export (:func:`on_personal_export`) and what to delete or blank
when the person erases their data (:func:`on_person_erased`). This module imports no
models and no services, so model modules can register without pulling a service in;
``core.residents`` assembles the export and runs the erasure (see
:func:`core.residents.personal_export` and :func:`core.residents.erase_personal_data`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

PersonErasedHook = Callable[[AsyncSession, int], Awaitable[None]]
PersonExportHook = Callable[[AsyncSession, int], Awaitable[Any]]

_erase_hooks: dict[str, PersonErasedHook] = {}
_export_hooks: dict[str, PersonExportHook] = {}


def on_personal_export(name: str) -> Callable[[PersonExportHook], PersonExportHook]:
    """Decorator: ``@on_personal_export("faces")`` adds an area's section (any JSON
    value) under ``name`` to the export a person downloads with /privacy — every area
    that keeps personal data registers one, beside its :func:`on_person_erased` hook."""

    def register(func: PersonExportHook) -> PersonExportHook:
        _export_hooks[name] = func
        return func

    return register


def on_person_erased(name: str) -> Callable[[PersonErasedHook], PersonErasedHook]:
    """Decorator: ``@on_person_erased("tickets")`` deletes an area's personal data
    of ``person_id`` in the same transaction as the erasure."""

    def register(func: PersonErasedHook) -> PersonErasedHook:
        _erase_hooks[name] = func
        return func

    return register


def export_time(value: datetime | None) -> str | None:
    """A time in an export section: ISO 8601, UTC (as every area's section shows it)."""
    return value.isoformat() if value is not None else None


async def area_exports(session: AsyncSession, person_id: int) -> dict[str, Any]:
    """Every registered area's section of the export, by area name."""
    return {name: await hook(session, person_id) for name, hook in sorted(_export_hooks.items())}


async def erase_in_areas(session: AsyncSession, person_id: int) -> None:
    """Run every area's erasure hook (in registration order) in the caller's transaction."""
    for hook in list(_erase_hooks.values()):
        await hook(session, person_id)
