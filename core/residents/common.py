"""What every residents module shares: the error, the limits, the community's date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.models import (
    Community,
)

DEFAULT_RETENTION_DAYS = 30
MAX_DOCUMENTS_PER_KIND = 10
# Draft uploads of a conversation nobody finished are dropped after this.
DRAFT_LIFETIME = timedelta(days=2)


class ResidentsError(Exception):
    """``code``: unit_not_found, already_member, already_applied, end_date_required,
    missing_id, missing_proof, too_many_documents, not_open, not_found, not_active,
    not_owner, is_staff, bad_name."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


# --- small helpers -------------------------------------------------------------------


def community_today(community: Community, clock: Clock) -> date:
    """Today's date where the community is (a lease ends on a local date)."""
    return clock.now().astimezone(ZoneInfo(community.timezone)).date()


def retention_days(community: Community) -> int:
    value = community.config.get("document_retention_days", DEFAULT_RETENTION_DAYS)
    return value if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_DAYS
