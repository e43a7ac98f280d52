"""What every area of the bot shares: routers, the staff gate, replies, text steps,
paged keyboards, the home menu and command registries, and the commit rule.

Areas import from here (``from handlers.kit import admin_router, reply, ...``); what
only two areas share (posting a move-in application after ``/setup``) they import
from the owning area.
"""

from bot.commands import group_command, private_command
from handlers.kit.buttons import (
    StaleButton,
    answer_stale,
    button_choice,
    button_enum,
    button_int,
    button_ints,
)
from handlers.kit.commit import commit_before_send
from handlers.kit.feature import Feature, routing_order
from handlers.kit.keyboards import paged_keyboard
from handlers.kit.menu import everyone, home_text, menu_entry, menu_keyboard, residents, send_home
from handlers.kit.refusals import refuse_foreign
from handlers.kit.replies import answer_query, drop_buttons, edit, read_text, reply
from handlers.kit.routers import admin_router, private_router
from handlers.kit.staff_gate import AdminGroup, StaffFlag, admit, group_locale, role_names

__all__ = [
    "AdminGroup",
    "Feature",
    "StaffFlag",
    "StaleButton",
    "admin_router",
    "admit",
    "answer_query",
    "answer_stale",
    "button_choice",
    "button_enum",
    "button_int",
    "button_ints",
    "commit_before_send",
    "drop_buttons",
    "edit",
    "everyone",
    "group_command",
    "group_locale",
    "home_text",
    "menu_entry",
    "menu_keyboard",
    "paged_keyboard",
    "private_command",
    "private_router",
    "read_text",
    "refuse_foreign",
    "reply",
    "residents",
    "role_names",
    "routing_order",
    "send_home",
]
