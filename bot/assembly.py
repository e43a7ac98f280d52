"""The one place ``bot/`` reads ``handlers/``: every area's routers, periodic jobs,
long-running services, operator commands and what it attaches to the context's
services, from ``handlers.features.FEATURES``.

The handlers are imported on first use, not with this module: the command line
starts without them (importing every area takes seconds), and a test may build
settings and the database before any router exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click
    from aiogram import Dispatcher

    from bot.context import AppContext, ServiceFactory
    from core.scheduler import Scheduler
    from handlers.kit import Feature


def features() -> list[Feature]:
    from handlers.features import FEATURES

    return FEATURES


def include_routers(dp: Dispatcher) -> None:
    """Order matters: the first router whose filters match handles the update
    (``handlers.kit.Feature`` says how ``FEATURES`` orders them)."""
    from handlers.kit import routing_order

    for router in routing_order(features()):
        dp.include_router(router)


def register_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    for feature in features():
        if feature.jobs is not None:
            feature.jobs(ctx, scheduler)


def attach_features(ctx: AppContext) -> None:
    """Once the context's services are built: each area attaches its chat side."""
    for feature in features():
        if feature.attach is not None:
            feature.attach(ctx)


def background_services(ctx: AppContext) -> list[ServiceFactory]:
    return [service for feature in features() for service in feature.services]


def register_cli(group: click.Group) -> None:
    for feature in features():
        if feature.cli is not None:
            feature.cli(group)
