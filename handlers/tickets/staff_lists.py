"""``/tickets`` in the admin group: the open tickets, or ``/tickets overdue``."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import group_command
from bot.context import AppContext
from core.identity import Identity
from core.models import Community
from core.tickets import service
from handlers.staff import AdminGroup, ensure_staff
from handlers.tickets.labels import group_locale, status_label
from handlers.tickets.sizes import fit_lines
from handlers.tickets.views import load_view, overdue_report, ticket_line

router = Router(name="tickets.staff_lists")
router.message.filter(F.chat.type.in_({"group", "supergroup"}))

group_command("tickets", __("Open tickets; /tickets overdue for the late ones"), order=20)


@router.message(Command("tickets"), AdminGroup())
async def tickets_command(
    message: Message,
    command: CommandObject,
    community: Community,
    identity: Identity,
    session: AsyncSession,
    app: AppContext,
) -> None:
    if not await ensure_staff(message, app, identity, community, action="tickets.list"):
        return
    arg = (command.args or "").strip().lower()
    now = app.clock.now()
    with app.i18n.use_locale(group_locale(app, community)):
        if arg == "overdue":
            text = await overdue_report(session, community, now)
        elif not arg:
            open_ = await service.open_tickets(session, community.id)
            if not open_:
                text = _("✅ No open tickets.")
            else:
                lines = [_("<b>Open tickets: {count}</b>").format(count=len(open_))]
                for ticket in open_:
                    view = await load_view(session, ticket)
                    lines.append(f"{ticket_line(view)} — {escape(status_label(ticket.status))}")
                text = fit_lines(lines)
        else:
            text = _("Usage: /tickets — open tickets; /tickets overdue — the late ones.")
    await message.reply(text)
