"""The profile area: the resident's own page (homes and roles, moving out,
withdrawing an application) and ``/privacy`` (see, download, delete one's data).

:mod:`.home` shows the profile, :mod:`.move_out` moves out or withdraws,
:mod:`.privacy` exports and erases; :mod:`.views` holds their shared buttons.
"""

from __future__ import annotations

from aiogram import Router

from handlers.profile import home, move_out, privacy

ROUTERS: tuple[Router, ...] = (home.router, move_out.router, privacy.router)

__all__ = ["ROUTERS"]
