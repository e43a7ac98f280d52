"""The record an area declares itself with: its routers, jobs, services and CLI.

``handlers.features.FEATURES`` lists one per area, in routing order; the assembly
in ``bot/`` reads that list and nothing else from ``handlers/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Router

from bot.context import AppContext, ServiceFactory

if TYPE_CHECKING:
    import click

    from core.scheduler import Scheduler


@dataclass(frozen=True)
class Feature:
    """One area of the bot.

    ``routers`` are included in this order; the first router whose filters match
    handles an update, so features' order in ``FEATURES`` is routing order. A
    feature with ``first=True`` has its routers included before every feature
    without it (the start area's /cancel and /language work inside any flow;
    payments must be recorded even in the middle of another conversation).
    """

    name: str
    routers: tuple[Router, ...]
    jobs: Callable[[AppContext, Scheduler], None] | None = None
    services: tuple[ServiceFactory, ...] = ()
    # Operator commands: called with the ``courtyard`` click group to add them.
    cli: Callable[[click.Group], None] | None = None
    # Called once at start-up, after the context's services are built (``app.gate``,
    # ``app.faces``), to attach the area's chat side to them: the gate runtime's
    # alerts go to the admin group and hosts through the gate area's notifier.
    attach: Callable[[AppContext], None] | None = None
    domain: str | None = None  # its translation domain in locales/domains.toml
    first: bool = False


def routing_order(features: list[Feature]) -> list[Router]:
    """Every feature's routers in the order they are included."""
    ordered = [f for f in features if f.first] + [f for f in features if not f.first]
    return [router for feature in ordered for router in feature.routers]
