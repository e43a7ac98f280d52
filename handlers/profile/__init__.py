"""The profile area: the resident's own page (homes and roles, moving out,
withdrawing an application) and ``/privacy`` (see, download, delete one's data).

:mod:`.home` shows the profile, :mod:`.move_out` moves out or withdraws,
:mod:`.privacy` exports and erases; :mod:`.views` holds their shared buttons. The
office's cards these update are the move-in area's (``handlers.movein``).
"""

from __future__ import annotations

from handlers.kit import Feature
from handlers.profile import home, move_out, privacy

feature = Feature("profile", (home.router, move_out.router, privacy.router), domain="movein")

__all__ = ["feature"]
