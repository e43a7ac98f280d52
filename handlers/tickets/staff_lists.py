"""``/tickets`` in the admin group: the open tickets, or ``/tickets overdue``."""

from __future__ import annotations

from html import escape

from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from core.models import Community
from core.tickets import service
from handlers.kit import admin_router, group_command
from handlers.tickets.labels import status_label
from handlers.tickets.sizes import fit_lines
from handlers.tickets.views import load_view, overdue_report, ticket_line

router = admin_router("tickets.staff_lists")

group_command("tickets", __("Open tickets; /tickets overdue for the late ones"), order=20)


@router.message(Command("tickets"), flags={"staff": "tickets.list"})
async def tickets_command(
    message: Message,
    command: CommandObject,
    community: Community,
    session: AsyncSession,
    app: AppContext,
) -> None:
    arg = (command.args or "").strip().lower()
    if arg == "overdue":
        text = await overdue_report(session, community, app.clock.now())
    elif arg:
        text = _("Usage: /tickets — open tickets; /tickets overdue — the late ones.")
    else:
        text = await _open_tickets(session, community)
    await message.reply(text)


async def _open_tickets(session: AsyncSession, community: Community) -> str:
    open_ = await service.open_tickets(session, community.id)
    if not open_:
        return _("✅ No open tickets.")
    lines = [_("<b>Open tickets: {count}</b>").format(count=len(open_))]
    for ticket in open_:
        view = await load_view(session, ticket)
        lines.append(f"{ticket_line(view)} — {escape(status_label(ticket.status))}")
    return fit_lines(lines)
