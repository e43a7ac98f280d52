"""Residents: move-in applications and their review, residencies, family members,
key hand-over, document purge, and a person's own data (see, export, erase).

One module per concern, all re-exported here (import from ``core.residents``):

- :mod:`~core.residents.homes` — choosing a home (paginated), may this person apply;
- :mod:`~core.residents.documents` — draft uploads and the purge of proof documents;
- :mod:`~core.residents.applications` — submit, review, withdraw;
- :mod:`~core.residents.residencies` — ending a residency, lease expiry, a unit's
  residents, family members;
- :mod:`~core.residents.handover` — keys and cards;
- :mod:`~core.residents.own_data` — /privacy: what we hold, export, erasure.

Public API other areas rely on:

- :func:`end_residency` ``(session, residency_id, *, clock, reason, actor_person_id=None,
  actor_telegram_id=None) -> Residency`` — ends an ACTIVE residency (move-out,
  tenancy over, removal by staff, data erasure). It runs every hook registered
  with ``core.lifecycle.on_residency_ended`` in the caller's transaction, so
  passes, face templates, invitations… are revoked together with the residency
  or not at all. Calling it on an ENDED residency is a no-op.
- :func:`core.privacy.on_person_erased` — register ``async def hook(session, person_id)``
  to delete an area's personal data when a person erases theirs (``/privacy``);
  :func:`core.privacy.on_personal_export` — register the area's section of the export
  (both re-exported here for older imports).

Applications: :func:`submit_application` writes the whole application in one
transaction (a PENDING residency, the application, its documents, the accepted
agreements); :func:`approve_application`, :func:`reject_application` and
:func:`request_more_documents` decide it with a conditional update, so two staff
pressing at once cannot both decide. Proof documents are Telegram file
references only and are purged ``document_retention_days`` (community config,
default 30) after the decision by :func:`purge_documents`.

Services raise :class:`ResidentsError` with a ``code``; they never format text.
"""

from core.privacy import (
    PersonErasedHook,
    PersonExportHook,
    export_time,
    on_person_erased,
    on_personal_export,
)
from core.residents.applications import (
    add_more_documents,
    approve_application,
    get_application,
    keep_joining_details,
    open_applications_of,
    reject_application,
    request_more_documents,
    set_review_message,
    submit_application,
    withdraw_application,
)
from core.residents.common import (
    DEFAULT_RETENTION_DAYS,
    DRAFT_LIFETIME,
    MAX_DOCUMENTS_PER_KIND,
    ResidentsError,
    community_today,
    retention_days,
)
from core.residents.documents import (
    add_draft_document,
    clear_drafts,
    draft_count,
    draft_counts,
    purge_documents,
)
from core.residents.handover import handover_log, record_handover
from core.residents.homes import (
    Choice,
    buildings_page,
    check_can_apply,
    communities_page,
    count_units_in_building,
    floors_of_building,
    load_unit,
    units_page,
)
from core.residents.own_data import (
    ApplicationInfo,
    PersonalData,
    ResidencyInfo,
    erase_personal_data,
    personal_data,
    personal_data_json,
    personal_export,
)
from core.residents.residencies import (
    ResidentView,
    add_family_member,
    end_expired_tenancies,
    end_residency,
    owner_residency,
    remove_family_member,
    unit_residents,
)
from core.units import find_unit_by_label

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "DRAFT_LIFETIME",
    "MAX_DOCUMENTS_PER_KIND",
    "ApplicationInfo",
    "Choice",
    "PersonErasedHook",
    "PersonExportHook",
    "PersonalData",
    "ResidencyInfo",
    "ResidentView",
    "ResidentsError",
    "add_draft_document",
    "add_family_member",
    "add_more_documents",
    "approve_application",
    "buildings_page",
    "check_can_apply",
    "clear_drafts",
    "communities_page",
    "community_today",
    "count_units_in_building",
    "draft_count",
    "draft_counts",
    "end_expired_tenancies",
    "end_residency",
    "erase_personal_data",
    "export_time",
    "find_unit_by_label",
    "floors_of_building",
    "get_application",
    "handover_log",
    "keep_joining_details",
    "load_unit",
    "on_person_erased",
    "on_personal_export",
    "open_applications_of",
    "owner_residency",
    "personal_data",
    "personal_data_json",
    "personal_export",
    "purge_documents",
    "record_handover",
    "reject_application",
    "remove_family_member",
    "request_more_documents",
    "retention_days",
    "set_review_message",
    "submit_application",
    "unit_residents",
    "units_page",
    "withdraw_application",
]
