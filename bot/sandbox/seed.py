"""The demo community of the sandbox, seeded once through the domain services.

On first start :func:`ensure_demo` creates, in one transaction and with the
same services the operator's CLI and the chat use: the community, three
buildings of units (``import_units``), a fee schedule and two months of bills
(the earlier month mostly paid at the office), the staff (manager, technician,
guard) and the admin forum group bound to the community, a letterbox
invitation per unit, four residents who joined with theirs (and accepted the
community rules and the service contract), and two gates with simulated doors.

Two things exist only once and must be kept: the gates' API keys (shown once
by ``create_gate``) and the plain codes of a few letterbox invitations left for
the page's "join with an invitation" walk-through. They live in
``sandbox.json`` in the sandbox's data directory (mode 0600), next to its own
database. Later starts only check that what the file names still exists and
top up the invitations; a data directory whose database lost the community is
seeded again from scratch. The cast and the community's look are in
:mod:`bot.sandbox.blueprint`, the file in :mod:`bot.sandbox.state`, the kept
invitations in :mod:`bot.sandbox.invitations`.

:func:`populate_emulator` puts the same people into the emulator: Telegram
accounts with the same ids, and the admin forum with the bot as administrator.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.gates import create_gate, rotate_gate_key
from access.models import DoorDriverKind, Gate, GateKind
from bot.sandbox.blueprint import (
    ADMIN_CHAT_ID,
    CastMember,
    Language,
    blueprint,
    cast,
    residents,
    units_csv,
)
from bot.sandbox.invitations import INVITATION_DAYS, top_up_invitations
from bot.sandbox.seed_community import seed_community
from bot.sandbox.seed_faces import seed_face_gates
from bot.sandbox.seed_office import seed_office
from bot.sandbox.seed_surveys import seed_surveys
from bot.sandbox.seed_vehicles import seed_vehicles
from bot.sandbox.state import DemoGate, SandboxState, load_state, save_state
from core.agreements import accepted, record_acceptances, render_agreement
from core.audit import record_audit
from core.clock import Clock
from core.communities import (
    add_staff,
    bind_admin_group,
    create_community,
    import_units,
    parse_units_csv,
)
from core.fees.billing import generate_bills
from core.fees.common import Period
from core.fees.ledger import record_offline_payment
from core.fees.models import Bill, BillStatus, FeeKind, FeeScope, PaymentMethod
from core.fees.schedule import Target, add_fee_item
from core.identity import get_or_create_person
from core.invitations import issue_unit_invitations, redeem_invitation
from core.models import Community, Person, ResidencyRole, StaffRole
from core.movein_models import AgreementKind
from core.units import find_unit_by_label

# --- seeding ---------------------------------------------------------------------------


async def ensure_demo(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    secret_key: str,
    clock: Clock,
    language: Language,
    state_path: Path,
) -> SandboxState:
    """The demo community, seeded on first start; later starts only check and top up."""
    state = load_state(state_path)
    async with session_factory() as session:
        community = await session.get(Community, state.community_id) if state else None
        if state is None or community is None:
            existing = await session.scalar(
                select(Community).where(Community.admin_chat_id == ADMIN_CHAT_ID)
            )
            if existing is not None:
                # The database survived but the state file did not: new gate keys.
                state = await _recover_state(session, existing, secret_key=secret_key)
            else:
                state = await _seed(session, secret_key=secret_key, clock=clock, language=language)
                state.fresh = True
        await top_up_invitations(session, state, secret_key=secret_key, clock=clock)
        await session.commit()
    save_state(state_path, state)
    return state


async def _seed(
    session: AsyncSession, *, secret_key: str, clock: Clock, language: Language
) -> SandboxState:
    plan = blueprint(language)
    now = clock.now()
    community = await create_community(
        session,
        plan.community,
        timezone="Asia/Shanghai",
        currency="CNY",
        locale=language,
        address=plan.address,
        duty_phone="+86 21 5555 0100",
    )
    await import_units(session, community, parse_units_csv(units_csv(plan)))
    today = now.astimezone(ZoneInfo(community.timezone)).date()

    people: dict[str, Person] = {}
    for member in plan.staff:
        staff, _ = await add_staff(
            session,
            community,
            member.telegram_id,
            StaffRole(member.role),
            full_name=member.full_name,
        )
        person = await session.get(Person, staff.person_id)
        assert person is not None
        person.locale = member.language
        people[member.key] = person
    manager = people["manager"]
    await bind_admin_group(
        session,
        community,
        ADMIN_CHAT_ID,
        is_forum=True,
        actor_person_id=manager.id,
        actor_telegram_id=manager.telegram_id,
    )

    management, waste, parking = plan.fee_names
    await add_fee_item(
        session, community, name=management, kind=FeeKind.PER_M2, amount_minor=280, due_day=15
    )
    await add_fee_item(
        session, community, name=waste, kind=FeeKind.FIXED, amount_minor=1500, due_day=15
    )

    issued = await issue_unit_invitations(
        session, community, secret_key=secret_key, clock=clock, valid_days=INVITATION_DAYS
    )
    by_unit = {f"{i.building}-{i.unit}": i for i in issued}
    for member in residents(plan):
        await _move_in(session, community, member, by_unit[member.unit], today=today, clock=clock)

    parking_units = [(residents(plan)[0].unit, 1), (residents(plan)[3].unit, 2)]
    targets = []
    for label, spaces in parking_units:
        unit = await find_unit_by_label(session, community.id, label)
        assert unit is not None
        targets.append(Target(unit_id=unit.id, quantity=spaces))
    await add_fee_item(
        session,
        community,
        name=parking,
        kind=FeeKind.PARKING,
        amount_minor=20000,
        scope=FeeScope.UNITS,
        targets=targets,
        due_day=20,
    )
    await _bills(session, community, manager, now=now, behind=(residents(plan)[1].unit,))

    gates = []
    for name, kind in zip(plan.gate_names, (GateKind.PEDESTRIAN, GateKind.VEHICLE), strict=True):
        created = await create_gate(
            session,
            secret_key=secret_key,
            community_id=community.id,
            name=name,
            kind=kind,
            driver=DoorDriverKind.SIMULATED,
            # A pedestrian gate stays unlocked for a few seconds, long enough to see.
            driver_config={"pulse_ms": 5000},
        )
        gates.append(DemoGate(created.gate.id, name, kind.value, created.api_key))
    await seed_face_gates(session, [(g.id, g.kind) for g in gates], now)
    await seed_vehicles(session, community, residents(plan)[0].unit, manager, now)

    await seed_community(session, community, manager, now=now, today=today, language=language)
    await seed_office(session, community, people, clock)  # patrols, fire lanes, equipment
    await seed_surveys(session, community, manager, now=now, today=today)  # the yearly survey
    await record_audit(
        session,
        "sandbox.seeded",
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        details={"language": language},
    )
    return SandboxState(
        community_id=community.id,
        language=language,
        admin_chat_id=ADMIN_CHAT_ID,
        gates=gates,
    )


async def _move_in(
    session: AsyncSession,
    community: Community,
    member: CastMember,
    invitation: Any,
    *,
    today: date,
    clock: Clock,
) -> None:
    """A resident joins with their letterbox invitation, accepting both documents."""
    person = await get_or_create_person(
        session, member.telegram_id, full_name=member.full_name, locale=member.language
    )
    person.phone = member.phone
    role = ResidencyRole(member.role)
    residency = await redeem_invitation(
        session,
        invitation.invitation_id,
        person.id,
        role=role,
        end_date=today + timedelta(days=365) if role == ResidencyRole.TENANT else None,
        today=today,
        clock=clock,
    )
    now = clock.now()
    acceptances = [
        accepted(
            render_agreement(
                community,
                kind,
                member.language,
                today=today,
                unit_label=member.unit,
                resident_name=member.full_name,
            ),
            now,
        )
        for kind in AgreementKind
    ]
    await record_acceptances(
        session,
        person_id=person.id,
        community_id=community.id,
        residency_id=residency.id,
        acceptances=acceptances,
    )


async def _bills(
    session: AsyncSession,
    community: Community,
    manager: Person,
    *,
    now: datetime,
    behind: tuple[str, ...],
) -> None:
    """Last month's and this month's bills; last month paid at the office by most."""
    this_month = Period.of(now.astimezone(ZoneInfo(community.timezone)).date())
    last_month = this_month.shift(-1)
    for period in (last_month, this_month):
        await generate_bills(session, community, period, now=now, trigger="sandbox")
    unpaid_ids: set[int] = set()
    for label in behind:
        unit = await find_unit_by_label(session, community.id, label)
        if unit is not None:
            unpaid_ids.add(unit.id)
    bills = (
        await session.scalars(
            select(Bill)
            .where(
                Bill.community_id == community.id,
                Bill.period == str(last_month),
                Bill.status == BillStatus.OPEN,
            )
            .order_by(Bill.unit_id)
        )
    ).all()
    for index, bill in enumerate(bills):
        # Every fifth household is still behind, so the reports have something to show.
        if bill.unit_id in unpaid_ids or index % 5 == 4:
            continue
        await record_offline_payment(
            session,
            community,
            unit_id=bill.unit_id,
            method=PaymentMethod.BANK_TRANSFER if index % 2 else PaymentMethod.CASH,
            amount_minor=bill.outstanding_minor,
            note=f"{last_month} · demo",
            actor_person_id=manager.id,
            actor_telegram_id=manager.telegram_id,
            now=now,
        )


async def _recover_state(
    session: AsyncSession, community: Community, *, secret_key: str
) -> SandboxState:
    gates = []
    for gate in (
        await session.scalars(
            select(Gate).where(Gate.community_id == community.id).order_by(Gate.id)
        )
    ).all():
        key = await rotate_gate_key(session, secret_key=secret_key, gate_id=gate.id)
        gates.append(DemoGate(gate.id, gate.name, gate.kind.value, key))
    return SandboxState(
        community_id=community.id,
        language="en" if community.locale == "en" else "zh_Hans",
        admin_chat_id=community.admin_chat_id or ADMIN_CHAT_ID,
        gates=gates,
    )


# --- the same people in the emulator ---------------------------------------------------


def populate_emulator(emulator: Any, state: SandboxState) -> None:
    """Telegram accounts for the cast and the admin forum (idempotent)."""
    plan = blueprint(state.language)
    for member in cast(plan):
        # Residents and staff have talked to the bot before; visitors have not.
        first, last = member.telegram_names
        emulator.user(
            member.telegram_id,
            first,
            last,
            language_code=member.telegram_language,
            started=member.kind != "visitor",
            phone_number=member.phone,
        )
    group = emulator.group(state.admin_chat_id, plan.group_title, is_forum=True)
    for member in plan.staff:
        current = group.member(member.telegram_id)
        if current is None or not current.is_present:
            status = "creator" if member.role == "manager" else "member"
            group.add_member(member.telegram_id, member.full_name, status)
