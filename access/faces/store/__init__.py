"""Face access in the database: consent, enrollment, deletion, counts, and the gate's reads.

Rules kept here, whoever calls (the chat, the CLI, a job):

- **Consent first.** A template is only ever written under an open consent of that
  person for that community. A person consents for themselves; an owner of a unit may
  consent as guardian for a child under 14 of the household, or confirm the consent of
  an adult household member who has no Telegram account. A household member *with* an
  account agrees in their own chat (:attr:`ConsentKind.MEMBER`).
- **Enrollment is all or nothing.** Each accepted photo's template is written at once,
  encrypted, as a ``pending`` row of that enrollment (a conversation may be answered by
  another process, so nothing waits in memory between messages); finishing swaps the
  person's templates for the pending ones in one transaction. Pending rows never reach
  the gate; abandoned ones are purged after :data:`PENDING_TTL`.
- **Deletion is immediate**: on request, when the residency ends, when the person's data
  is erased. It ends the consent too, so enrolling again asks again.
- Every change bumps the community's :class:`FaceIndexVersion` in the same transaction:
  that is how other processes learn that their in-memory index is stale.

Staff get counts (:func:`enrollment_counts`), never templates.

One module per rule, re-exported here: :mod:`~access.faces.store.household`,
:mod:`~access.faces.store.consent`, :mod:`~access.faces.store.enrollment`,
:mod:`~access.faces.store.deletion`, :mod:`~access.faces.store.lookalike`,
:mod:`~access.faces.store.reading` (status, counts, the gate's reads),
:mod:`~access.faces.store.own_data`; shared pieces in :mod:`~access.faces.store.common`.
"""

from access.faces.store.common import (
    CONSENT_TEXT_VERSION,
    GUARDIAN_AGE,
    PENDING_TTL,
    FaceError,
    bump_version,
    new_enrollment_key,
    template_context,
    text_digest,
)
from access.faces.store.consent import (
    active_consent,
    record_consent,
)
from access.faces.store.deletion import (
    Deleted,
    delete_face_data,
    on_person_erased_delete,
    on_residency_ended_delete,
)
from access.faces.store.enrollment import (
    Enrolled,
    add_pending_template,
    discard_enrollment,
    finish_enrollment,
    purge_pending,
)
from access.faces.store.household import (
    HouseholdMember,
    household_members,
    household_unit,
    is_active_resident,
)
from access.faces.store.lookalike import (
    LookalikePair,
    clear_lookalikes,
    find_lookalikes,
    has_lookalike,
    has_lookalike_tx,
    lookalike_count,
)
from access.faces.store.own_data import (
    personal_face_data,
)
from access.faces.store.reading import (
    EnrollmentCounts,
    FaceStatus,
    StoredTemplate,
    communities_with_templates_tx,
    enrollment_counts,
    face_status,
    is_enrolled_tx,
    templates_tx,
    versions_tx,
)

__all__ = [
    "CONSENT_TEXT_VERSION",
    "GUARDIAN_AGE",
    "PENDING_TTL",
    "Deleted",
    "Enrolled",
    "EnrollmentCounts",
    "FaceError",
    "FaceStatus",
    "HouseholdMember",
    "LookalikePair",
    "StoredTemplate",
    "active_consent",
    "add_pending_template",
    "bump_version",
    "clear_lookalikes",
    "communities_with_templates_tx",
    "delete_face_data",
    "discard_enrollment",
    "enrollment_counts",
    "face_status",
    "find_lookalikes",
    "finish_enrollment",
    "has_lookalike",
    "has_lookalike_tx",
    "household_members",
    "household_unit",
    "is_active_resident",
    "is_enrolled_tx",
    "lookalike_count",
    "new_enrollment_key",
    "on_person_erased_delete",
    "on_residency_ended_delete",
    "personal_face_data",
    "purge_pending",
    "record_consent",
    "template_context",
    "templates_tx",
    "text_digest",
    "versions_tx",
]
