"""Who may do which staff action: the one table every staff check reads.

Handlers name the action in their flags (``flags={"staff": "fees.refund"}``) and
the staff gate (``handlers.kit``) looks the roles up here; the gate module's own
check for staff opening a door at the gate (``access.verification``) reads the
``access.open`` row. The action names are also the audit actions of refusals, so
renaming one changes what the audit log says.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Staff, StaffRole

ANY_STAFF: frozenset[StaffRole] = frozenset(StaffRole)

_MANAGER = frozenset({StaffRole.MANAGER})
_MONEY = frozenset({StaffRole.MANAGER, StaffRole.ACCOUNTANT})
_OPENERS = frozenset({StaffRole.MANAGER, StaffRole.GUARD})
_WORKERS = frozenset({StaffRole.MANAGER, StaffRole.TECHNICIAN, StaffRole.GUARD})

STAFF_ACTIONS: dict[str, frozenset[StaffRole]] = {
    # admin group set-up and the staff list
    "setup.bind": _MANAGER,
    "staff.list": ANY_STAFF,
    "staff.manage": _MANAGER,
    "staff.add": _MANAGER,
    "staff.change_role": _MANAGER,
    "staff.remove": _MANAGER,
    # move-in review and residents
    "movein.approve": _MANAGER,
    "movein.reject": _MANAGER,
    "movein.ask_more": _MANAGER,
    "movein.handover": _OPENERS,
    "movein.residents": ANY_STAFF,
    "residency.end": _MANAGER,
    # repair tickets
    "tickets.take": _WORKERS,
    "tickets.on_site": _WORKERS,
    "tickets.resolve": _WORKERS,
    "tickets.assign": _MANAGER,
    # Back from the assign menu to the card: any staff (it changes nothing).
    "tickets.view": ANY_STAFF,
    "tickets.reject": _MANAGER,
    "tickets.list": ANY_STAFF,
    "tickets.report": ANY_STAFF,
    "tickets.reply": ANY_STAFF,
    # fees and the community's accounts
    "fees.list": _MONEY,
    "fees.item_add": _MANAGER,
    "fees.retire": _MANAGER,
    "fees.bills_generate": _MANAGER,
    "fees.payment_offline": _MONEY,
    "fees.refund": _MONEY,
    "fees.adjust": _MONEY,
    "fees.expense": _MONEY,
    "fees.expense_reverse": _MONEY,
    "fees.report": _MONEY,
    "fees.overdue": _MONEY,
    "fees.export": _MONEY,
    # the gate: passes, remote opening (chat and at the gate), the log, emergencies
    "passes.worker_approve": _OPENERS,
    "passes.worker_reject": _OPENERS,
    "access.open": _OPENERS,
    # vehicles: residents' plates (with the 行驶证), the black and white lists
    "vehicles.approve": _OPENERS,
    "vehicles.reject": _OPENERS,
    "vehicles.list": _OPENERS,
    "vehicles.view": _OPENERS,
    "vehicles.end": _OPENERS,
    "vehicles.tariff": _MANAGER,
    "vehicles.refund": _MANAGER,
    "access.clear_lockout": _OPENERS,
    "access.log": _OPENERS,
    "access.log_export": _OPENERS,
    "access.presence": _OPENERS,
    "access.emergency_open": _MANAGER,
    "access.emergency_end": _MANAGER,
    "access.walkin": _OPENERS,
    # faces
    "faces.count": ANY_STAFF,
    "faces.liveness": _MANAGER,
    # community life: notices
    "notices.send": _MANAGER,
    "notices.view": ANY_STAFF,
    "votes.open": _MANAGER,
    "votes.view": ANY_STAFF,
    "surveys.create": _MANAGER,
    "surveys.view": ANY_STAFF,
    "events.post": _MANAGER,
    "events.view": ANY_STAFF,
    # the office's own work: checkpoints, patrol routes, visits, reports
    "patrols.manage": _MANAGER,
    "patrols.sheet": _OPENERS,
    "patrols.visit": _WORKERS,
    "patrols.report": ANY_STAFF,
    "equipment.manage": _MANAGER,
    "equipment.list": ANY_STAFF,
    "equipment.task_done": _WORKERS,
    "equipment.link": _WORKERS,
    "equipment.lights": _WORKERS,
    "shifts.manage": _MANAGER,
    "shifts.acknowledge": ANY_STAFF,
    "shifts.log": ANY_STAFF,
    "scorecard.view": _MANAGER,
    # the audit log
    "audit.view": _MANAGER,
    "audit.export": _MANAGER,
}


def roles_for(action: str) -> frozenset[StaffRole]:
    """The roles allowed to do ``action``; KeyError for an action nobody declared
    (a typo must fail loudly, not let everyone or no one through)."""
    return STAFF_ACTIONS[action]


def may(role: StaffRole | None, action: str) -> bool:
    return role is not None and role in roles_for(action)


def ordered(roles: frozenset[StaffRole]) -> list[StaffRole]:
    """``roles`` in the enum's order (manager first), for messages and audit rows."""
    return [role for role in StaffRole if role in roles]


async def active_staff_role(
    session: AsyncSession, person_id: int, community_id: int
) -> StaffRole | None:
    """The person's role as active staff of the community, read from the database
    (a decision must not rest on a cached identity), or None."""
    return await session.scalar(
        select(Staff.role).where(
            Staff.person_id == person_id,
            Staff.community_id == community_id,
            Staff.active.is_(True),
        )
    )
