"""Communities as the operator and the managers set them up.

Public API (what other areas may call):

- :func:`create_community` — a new community with its time zone and currency.
- :func:`find_community` — by id or exact name (the CLI's ``COMMUNITY`` argument).
- :func:`parse_units_csv` / :func:`import_units` — the ``building,unit,floor,area_m2``
  unit list: all rows are validated first and every error is reported with its
  line number; then everything is written in the caller's one transaction, so a
  malformed file changes nothing and re-importing the same file changes nothing.
- :func:`add_staff`, :func:`change_staff_role`, :func:`remove_staff`,
  :func:`list_staff` — staff of a community. The last active manager cannot be
  removed or demoted, so a community always has someone who can run ``/setup``.
- :func:`bind_admin_group` — what ``/setup`` stores: ``Community.admin_chat_id``
  and ``admin_chat_is_forum``. Other areas find the community of an admin chat
  with ``handlers.kit.AdminGroup()`` / ``core.identity.community_by_admin_chat``.

Services raise :class:`CommunityError` with a ``code``; they never format user text.

One module per concern, re-exported here: :mod:`~core.communities.community`,
:mod:`~core.communities.unit_import`, :mod:`~core.communities.staff`.
"""

from core.communities.community import (
    CommunityError,
    bind_admin_group,
    create_community,
    find_community,
    list_communities,
    migrate_admin_group,
)
from core.communities.staff import (
    StaffMember,
    add_staff,
    change_staff_role,
    list_staff,
    remove_staff,
)
from core.communities.unit_import import (
    CSV_HEADER,
    MAX_AREA,
    ImportReport,
    ProgressCallback,
    RowError,
    UnitRow,
    UnitsCsvError,
    count_units,
    import_units,
    parse_units_csv,
)

__all__ = [
    "CSV_HEADER",
    "MAX_AREA",
    "CommunityError",
    "ImportReport",
    "ProgressCallback",
    "RowError",
    "StaffMember",
    "UnitRow",
    "UnitsCsvError",
    "add_staff",
    "bind_admin_group",
    "change_staff_role",
    "count_units",
    "create_community",
    "find_community",
    "import_units",
    "list_communities",
    "list_staff",
    "migrate_admin_group",
    "parse_units_csv",
    "remove_staff",
]
