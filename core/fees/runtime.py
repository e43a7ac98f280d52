"""What the fees area keeps per process, built once at start-up as ``AppContext.fees``.

Nothing here is domain state (that lives in the database): it is the background
deliveries in flight and the statements already rendered and uploaded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

# Rendered statements kept at most; then the cache starts over (a statement run
# renders one document per language, so this is several runs' worth).
STATEMENT_CACHE_MAX = 32


@dataclass
class CachedStatement:
    """A statement rendered in one language, and its Telegram file ids once uploaded."""

    text: str
    pdf: bytes | None
    png: bytes | None
    filename: str
    pdf_file_id: str | None = None
    png_file_id: str | None = None


@dataclass
class FeesRuntime:
    # Deliver a receipt right after the payment commits (the outbox job is the
    # safety net). Tests switch it off to simulate a crash before delivery.
    deliver_inline: bool = True
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    # Rendered statements per (statement id, locale) and their Telegram file ids,
    # so a statement sent to 2,000 residents is rendered and uploaded once.
    statement_cache: dict[tuple[int, str], CachedStatement] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def remember_statement(self, key: tuple[int, str], statement: CachedStatement) -> None:
        if len(self.statement_cache) > STATEMENT_CACHE_MAX:
            self.statement_cache.clear()
        self.statement_cache[key] = statement
