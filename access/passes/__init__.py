"""Pass services: visitor passes, worker pass requests and decisions, revocation,
the share link, history, expiry, overstay, and revocation when a residency ends.

Functions take the caller's ``AsyncSession`` and write in its transaction; they
raise :class:`PassError` with a ``code`` and never format user text. Plain
credentials (code, QR token, share key) exist only in the :class:`IssuedPass`
returned at issue time and in what :func:`open_shared_pass` decrypts with the link.

One module per concern, re-exported here: :mod:`~access.passes.rules` (limits,
the plate rule, the error), :mod:`~access.passes.issuing`, :mod:`~access.passes.holding`,
:mod:`~access.passes.own_data`.
"""

from access.passes.holding import (
    SharedPass,
    UseRecord,
    claim_overstays,
    expire_passes,
    get_pass,
    my_passes,
    open_shared_pass,
    pass_history,
    revoke_pass,
    revoke_passes_of_residency,
)
from access.passes.issuing import (
    IssuedPass,
    approve_worker_pass,
    gates_of,
    host_unit,
    issue_visitor_pass,
    reject_worker_pass,
    request_worker_pass,
)
from access.passes.own_data import (
    EXPORT_LOG_LIMIT,
    erase_pass_holders,
    personal_access_data,
)
from access.passes.rules import (
    ALL_WEEKDAYS,
    COMPANY_MAX_LEN,
    MAX_VISITOR_ADVANCE,
    MAX_VISITOR_WINDOW,
    MAX_WORKER_DAYS,
    MON_TO_SAT,
    NAME_MAX_LEN,
    PURPOSE_MAX_LEN,
    AccessSettings,
    PassError,
    check_visitor_window,
    check_worker_days,
    check_worker_hours,
    clean_phone,
    local_day_bounds,
    mask_weekdays,
    normalize_plate,
    valid_plate,
    weekdays_mask,
)

__all__ = [
    "ALL_WEEKDAYS",
    "COMPANY_MAX_LEN",
    "EXPORT_LOG_LIMIT",
    "MAX_VISITOR_ADVANCE",
    "MAX_VISITOR_WINDOW",
    "MAX_WORKER_DAYS",
    "MON_TO_SAT",
    "NAME_MAX_LEN",
    "PURPOSE_MAX_LEN",
    "AccessSettings",
    "IssuedPass",
    "PassError",
    "SharedPass",
    "UseRecord",
    "approve_worker_pass",
    "check_visitor_window",
    "check_worker_days",
    "check_worker_hours",
    "claim_overstays",
    "clean_phone",
    "erase_pass_holders",
    "expire_passes",
    "gates_of",
    "get_pass",
    "host_unit",
    "issue_visitor_pass",
    "local_day_bounds",
    "mask_weekdays",
    "my_passes",
    "normalize_plate",
    "open_shared_pass",
    "pass_history",
    "personal_access_data",
    "reject_worker_pass",
    "request_worker_pass",
    "revoke_pass",
    "revoke_passes_of_residency",
    "valid_plate",
    "weekdays_mask",
]
