"""The one sanctioned commit inside a handler.

A handler never calls ``session.commit()``: the session middleware commits when it
returns (conversation state and rows together) and rolls back if it raises. The
exception is an outgoing call that *other updates* depend on finding committed —
the ticket card is posted, and a staff reply to it must find the ticket — where
the handler first calls :func:`commit_before_send` with a one-line why-comment.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.db import commit_update


async def commit_before_send(session: AsyncSession) -> None:
    """Commit now, because what is sent next lets other updates act on these rows;
    the conversation's state moves with it (bot.middlewares.db.commit_update)."""
    await commit_update(session)
