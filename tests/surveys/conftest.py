"""The community world of the notices and votes (an admin group, a manager, an
owner, a tenant, an owner who blocked the bot), for the survey flows."""

from __future__ import annotations

from tests.community.conftest import settings, world

__all__ = ["settings", "world"]
