"""What each audit row says in words: the action, the person, the outcome.

Every action the log can hold (``core.audit_filter.KNOWN_ACTIONS``) has a label here
(tests/audit checks); an action recorded before it had one shows its code.
"""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from core.audit_query import AuditRow

ACTION_LABELS: dict[str, LazyProxy] = {
    # the admin group and its staff
    "setup.bind": __("Bind the admin group"),
    "community.admin_group_bound": __("Admin group bound"),
    "community.created": __("Community created"),
    "community.units_imported": __("Units imported"),
    "staff.list": __("View the staff list"),
    "staff.manage": __("Open a staff member's card"),
    "staff.add": __("Add staff"),
    "staff.added": __("Staff added"),
    "staff.change_role": __("Change a staff role"),
    "staff.role_changed": __("Staff role changed"),
    "staff.remove": __("Remove staff"),
    "staff.removed": __("Staff removed"),
    # moving in, residents, invitations
    "movein.submitted": __("Move-in application submitted"),
    "movein.withdrawn": __("Move-in application withdrawn"),
    "movein.approve": __("Approve a move-in application"),
    "movein.approved": __("Move-in approved"),
    "movein.reject": __("Reject a move-in application"),
    "movein.rejected": __("Move-in rejected"),
    "movein.ask_more": __("Ask for more documents"),
    "movein.more_requested": __("More documents requested"),
    "movein.more_sent": __("More documents sent"),
    "movein.handover": __("Record a key handover"),
    "handover.issued": __("Keys handed over"),
    "handover.returned": __("Keys returned"),
    "movein.residents": __("View a unit's residents"),
    "residency.end": __("End a residency"),
    "residency.ended": __("Residency ended"),
    "residency.family_added": __("Family member added"),
    "residency.family_remove": __("Remove a family member"),
    "home.use": __("Act for a home"),
    "invitation.issued": __("Invitations issued"),
    "invitation.family_created": __("Family invitation created"),
    "invitation.redeemed": __("Invitation used"),
    "invitation.revoked": __("Invitation revoked"),
    "privacy.erased": __("Personal data erased"),
    # repair tickets
    "tickets.take": __("Take a ticket"),
    "tickets.on_site": __("Mark a ticket on site"),
    "tickets.resolve": __("Resolve a ticket"),
    "tickets.assign": __("Assign a ticket"),
    "tickets.view": __("View a ticket"),
    "tickets.reject": __("Reject a ticket"),
    "tickets.list": __("List tickets"),
    "tickets.report": __("Tickets report"),
    "tickets.reply": __("Reply to a resident"),
    "tickets.own": __("Act on one's own ticket"),
    # fees and accounts
    "fees.list": __("View fee items"),
    "fees.item_add": __("Add a fee item"),
    "fees.retire": __("Retire a fee item"),
    "fees.item_retire": __("Retire a fee item"),
    "fees.bills_generate": __("Generate bills"),
    "fees.payment_offline": __("Record an offline payment"),
    "fees.refund": __("Refund a payment"),
    "fees.adjust": __("Adjust a bill"),
    "fees.expense": __("Record an expense"),
    "fees.expense_reverse": __("Reverse an expense"),
    "fees.report": __("Accounts report"),
    "fees.overdue": __("List overdue bills"),
    "fees.export": __("Export bills"),
    # the gate
    "passes.worker_approve": __("Approve a worker pass"),
    "passes.revoke": __("Revoke a visitor pass"),
    "passes.worker_reject": __("Reject a worker pass"),
    "access.open": __("Open a gate remotely"),
    "access.staff_open": __("Gate opened by staff"),
    "access.clear_lockout": __("Clear a keypad lock-out"),
    "access.log": __("View the gate log"),
    "access.log_export": __("Export the gate log"),
    "access.emergency_open": __("Emergency: open every gate"),
    "access.emergency_end": __("End the emergency opening"),
    "access.walkin": __("Ring a home for a walk-in"),
    "access.walkin_answer": __("Answer a call from the gate"),
    # faces
    "faces.count": __("Count face enrolments"),
    "faces.consent": __("Consent to face access"),
    "faces.enrolled": __("Face enrolled"),
    "faces.deleted": __("Face data deleted"),
    "faces.liveness": __("Gate live-person check changed"),
    # community life
    "notices.send": __("Send a notice"),
    "notices.view": __("View notices"),
    "votes.open": __("Open an owners' vote"),
    "votes.view": __("View owners' votes"),
    "votes.cast": __("Ballot cast"),
    "votes.result": __("Vote result published"),
    # the office's own work
    "patrols.manage": __("Manage checkpoints and patrol routes"),
    "patrols.sheet": __("Print the checkpoint sheet"),
    "patrols.visit": __("Patrol checkpoint visit"),
    "patrols.report": __("View the patrol report"),
    "equipment.manage": __("Manage the equipment ledger"),
    "equipment.list": __("View the equipment ledger"),
    "equipment.task_done": __("Maintenance task done"),
    "equipment.link": __("Link a repair to equipment"),
    "equipment.lights": __("Light round"),
    "shifts.manage": __("Manage the shift rota"),
    "shifts.acknowledge": __("Acknowledge a shift hand-over"),
    "shifts.log": __("View the hand-over log"),
    "scorecard.view": __("View the service scorecard"),
    # the gate, part two: presence, the resident's gate QR, vehicles and parking
    "access.presence": __("See who is inside"),
    "access.resident_qr": __("Personal gate QR shown"),
    "vehicles.approve": __("Approve a vehicle"),
    "vehicles.reject": __("Reject a vehicle"),
    "vehicles.end": __("End a vehicle's registration"),
    "vehicles.list": __("Change the plate lists"),
    "vehicles.view": __("View vehicles and parking"),
    "vehicles.tariff": __("Set the parking fees"),
    "vehicles.refund": __("Refund a parking payment"),
    "parking.pay": __("Parking paid"),
    "parking.paid_after_exit": __("Parking paid after the car left"),
    # community life: events and surveys
    "events.post": __("Post a community event"),
    "events.view": __("View community events"),
    "events.sign_up": __("Event sign-up"),
    "surveys.create": __("Open a survey"),
    "surveys.view": __("View surveys"),
    "surveys.close": __("Survey closed"),
    # the audit log itself, and the demo
    "audit.view": __("View the audit log"),
    "audit.export": __("Export the audit log"),
    "sandbox.seeded": __("Demo data created"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def person_label(row: AuditRow) -> str:
    """Who acted, by name: never a bare id."""
    if row.name:
        return row.name
    if row.person_id is not None:
        return _("(no name)")
    if row.telegram_id is not None:
        return _("a Telegram user unknown to Courtyard")
    return _("Courtyard (operator or automatic)")


def outcome_label(allowed: bool) -> str:
    return "✅" if allowed else "⛔ " + _("refused")
