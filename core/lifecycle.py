"""Hooks run when a residency ends (move-out, tenancy over, removal).

Ending a residency must revoke everything that person holds through it:
visitor and worker passes, face templates, open invitations… Each area
registers a hook at import time; ``end_residency`` (core.residents) runs them
all in the same transaction, so either everything is revoked or nothing is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Residency

ResidencyEndHook = Callable[[AsyncSession, Residency], Awaitable[None]]

_hooks: dict[str, ResidencyEndHook] = {}


def on_residency_ended(name: str) -> Callable[[ResidencyEndHook], ResidencyEndHook]:
    """Decorator: ``@on_residency_ended("passes")`` registers a revocation hook."""

    def register(func: ResidencyEndHook) -> ResidencyEndHook:
        _hooks[name] = func
        return func

    return register


async def run_residency_end_hooks(session: AsyncSession, residency: Residency) -> None:
    for hook in list(_hooks.values()):
        await hook(session, residency)
