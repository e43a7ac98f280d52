"""Old import path of the home-menu registry, kept until every area imports it
from ``handlers.kit`` (issue 13); delete it then."""

from handlers.kit.menu import MENU, MenuEntry, everyone, menu_entry, menu_keyboard, residents

__all__ = ["MENU", "MenuEntry", "everyone", "menu_entry", "menu_keyboard", "residents"]
