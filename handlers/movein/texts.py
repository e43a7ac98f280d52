"""Labels the move-in area's residents and office both read (and the profile)."""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from core.models import ResidencyRole
from core.movein_models import ApplicationStatus, HandoverItem


def role_label(role: ResidencyRole | str) -> str:
    return {
        ResidencyRole.OWNER: _("owner"),
        ResidencyRole.TENANT: _("tenant"),
        ResidencyRole.FAMILY: _("family member"),
    }[ResidencyRole(role)]


def status_label(status: ApplicationStatus) -> str:
    return {
        ApplicationStatus.SUBMITTED: _("waiting for review"),
        ApplicationStatus.MORE_INFO: _("waiting for more documents from the applicant"),
        ApplicationStatus.APPROVED: _("approved"),
        ApplicationStatus.REJECTED: _("rejected"),
        ApplicationStatus.WITHDRAWN: _("withdrawn by the applicant"),
    }[status]


def item_label(item: HandoverItem) -> str:
    return {HandoverItem.KEYS: _("Keys"), HandoverItem.ACCESS_CARD: _("Access card")}[item]


def person_link(telegram_id: int | None, name: str) -> str:
    shown = html.escape(name or _("(no name)"))
    return f'<a href="tg://user?id={telegram_id}">{shown}</a>' if telegram_id else shown


def invitation_error_text(code: str) -> str:
    """An ``InvitationError`` code, for the person who tried the invitation."""
    return {
        "invalid": _("This code is not valid. Check it and type it again, or /cancel."),
        "expired": _(
            "This invitation has expired. Ask the property office for a new one, or apply with "
            "your documents."
        ),
        "revoked": _(
            "This invitation was withdrawn. Ask the property office (or the owner) for a new one."
        ),
        "used_up": _(
            "This invitation has already been used by as many people as it allows. Ask the "
            "property office for a new one."
        ),
        "already_member": _("You are already registered in this home."),
        "already_used_by_you": _("You have already used this invitation."),
        "throttled": _("Too many wrong codes. Please wait a quarter of an hour and try again."),
        "end_date_required": _("Tenants need a lease end date in the future."),
        "role_required": _("Please choose who you are in this home."),
    }.get(code, _("This invitation cannot be used."))
