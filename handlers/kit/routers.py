"""Routers for the two places the bot talks: private chats and admin groups."""

from __future__ import annotations

from aiogram import F, Router

from handlers.kit.staff_gate import AdminGroup, StaffGate


def admin_router(name: str) -> Router:
    """Messages and buttons of a community's admin group (``community`` injected),
    through the staff gate: a handler flagged ``flags={"staff": "area.verb"}`` runs
    only for staff allowed that action (and gets ``staff_role``); every handler
    here speaks the group's language. A handler without the flag runs for anyone
    in the group."""
    router = Router(name=name)
    for observer in (router.message, router.callback_query):
        observer.filter(AdminGroup())
        observer.middleware(StaffGate())
    return router


def private_router(name: str) -> Router:
    """Messages and buttons of private chats only."""
    router = Router(name=name)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    return router
