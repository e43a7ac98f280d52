"""Invitations: a code that attaches a person to a unit without staff review.

Public API:

- :func:`issue_unit_invitations` — one letterbox invitation per unit (the CLI's
  ``courtyard invites``). Re-issuing revokes the unit's earlier open letterbox
  invitations, so a lost letter cannot be used once a new one is printed.
- :func:`create_family_invitation` — an owner invites one family member.
- :func:`find_invitation` — check a typed code or a deep-link payload.
- :func:`redeem_invitation` — the person joins the unit (an ACTIVE residency).
- :func:`revoke_invitation`, :func:`revoke_unit_invitations`.
- :func:`deep_link_payload` / :func:`code_from_payload` — ``/start i_<code>``.

Codes are 10 characters of Crockford's base32 (50 random bits from
:mod:`secrets`), shown as ``ABCDE-FGHJK``. Only an HMAC-SHA256 of the code with
the deployment's secret key is stored, so a database leak reveals no usable
code. An invitation may be redeemed by up to ``max_uses`` household members,
each once; wrong codes are throttled per Telegram account.

One module per step, re-exported here: :mod:`~core.invitations.codes`,
:mod:`~core.invitations.issuing`, :mod:`~core.invitations.redeeming`,
:mod:`~core.invitations.revoking` (importing the package registers the hook that
revokes an owner's family invitations when their residency ends).
"""

from core.invitations.codes import (
    ALPHABET,
    CODE_LENGTH,
    DEFAULT_HOUSEHOLD_USES,
    DEFAULT_VALID_DAYS,
    FAILURE_WINDOW,
    FAMILY_VALID_DAYS,
    MAX_FAILURES,
    PAYLOAD_PREFIX,
    InvitationError,
    code_from_payload,
    deep_link_payload,
    format_code,
    hash_code,
    new_code,
    normalize_code,
)
from core.invitations.issuing import (
    IssuedInvitation,
    create_family_invitation,
    issue_unit_invitations,
)
from core.invitations.redeeming import (
    find_invitation,
    record_failure,
    redeem_invitation,
)
from core.invitations.revoking import (
    purge_failures,
    revoke_invitation,
    revoke_unit_invitations,
)

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_HOUSEHOLD_USES",
    "DEFAULT_VALID_DAYS",
    "FAILURE_WINDOW",
    "FAMILY_VALID_DAYS",
    "MAX_FAILURES",
    "PAYLOAD_PREFIX",
    "InvitationError",
    "IssuedInvitation",
    "code_from_payload",
    "create_family_invitation",
    "deep_link_payload",
    "find_invitation",
    "format_code",
    "hash_code",
    "issue_unit_invitations",
    "new_code",
    "normalize_code",
    "purge_failures",
    "record_failure",
    "redeem_invitation",
    "revoke_invitation",
    "revoke_unit_invitations",
]
