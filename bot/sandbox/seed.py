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
seeded again from scratch.

:func:`populate_emulator` puts the same people into the emulator: Telegram
accounts with the same ids, and the admin forum with the bot as administrator.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.gates import create_gate, rotate_gate_key
from access.models import DoorDriverKind, Gate, GateKind
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
from core.models import Building, Community, Person, ResidencyRole, StaffRole
from core.movein_models import AgreementKind, Invitation
from core.units import find_unit_by_label

Language = Literal["zh_Hans", "en"]
STATE_FILE = "sandbox.json"
STATE_VERSION = 1
ADMIN_CHAT_ID = -1001000000888
# Telegram ids of the cast; new people made on the page count up from here.
NEW_USER_FIRST_ID = 720_001
# Letterbox invitations the page offers; topped up when fewer are usable.
KEPT_INVITATIONS = 3
INVITATION_DAYS = 366


@dataclass(frozen=True)
class CastMember:
    """Someone the sandbox plays: a resident, a visitor or a staff member."""

    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    language: Language
    kind: Literal["resident", "visitor", "staff"]
    role: str = ""  # owner / tenant / family, or manager / technician / guard
    unit: str = ""  # "building-number" for residents
    phone: str | None = None

    @property
    def full_name(self) -> str:
        if self.last_name is None:
            return self.first_name
        # Chinese names are written family name first without a space.
        if self.language == "zh_Hans" and not self.first_name.isascii():
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}"

    @property
    def telegram_names(self) -> tuple[str, str | None]:
        """First and last name as the person typed them into Telegram."""
        if self.language == "zh_Hans" and not self.first_name.isascii():
            return self.full_name, None
        return self.first_name, self.last_name

    @property
    def telegram_language(self) -> str:
        return "zh-hans" if self.language == "zh_Hans" else "en"


@dataclass(frozen=True)
class Blueprint:
    """What the demo community looks like in one language."""

    language: Language
    community: str
    address: str
    group_title: str
    buildings: tuple[str, str, str]
    fee_names: tuple[str, str, str]
    gate_names: tuple[str, str]
    staff: tuple[CastMember, ...]


def blueprint(language: Language) -> Blueprint:
    """The community, its staff and its gates in the operator's language."""
    zh = language == "zh_Hans"

    def staff(key: str, tid: int, zh_name: tuple[str, str], en_name: tuple[str, str]) -> CastMember:
        first, last = zh_name if zh else en_name
        return CastMember(key, tid, first, last, language, "staff", role=key, phone=None)

    return Blueprint(
        language=language,
        community="阳光花园" if zh else "Sunny Garden",
        address="上海市浦东新区阳光路 88 号" if zh else "88 Yangguang Road, Pudong, Shanghai",
        group_title="阳光花园 · 物业工作群" if zh else "Sunny Garden · Property staff",
        buildings=("1栋", "2栋", "3栋") if zh else ("Block 1", "Block 2", "Block 3"),
        fee_names=("物业管理费", "生活垃圾处理费", "车位管理费")
        if zh
        else ("Property management", "Waste collection", "Parking space"),
        gate_names=("东门", "北门车道") if zh else ("East Gate", "North Car Gate"),
        staff=(
            staff("manager", 800_001, ("静", "李"), ("Jing", "Li")),
            staff("technician", 800_002, ("建国", "张"), ("Jianguo", "Zhang")),
            staff("guard", 800_003, ("强", "王"), ("Qiang", "Wang")),
        ),
    )


def residents(plan: Blueprint) -> tuple[CastMember, ...]:
    """Four households in two languages, as a real 小区 has."""
    b1, b2, _ = plan.buildings
    return (
        CastMember(
            "wang", 700_001, "秀英", "王", "zh_Hans", "resident", "owner", f"{b1}-301",
            "+8613800138001",
        ),
        CastMember(
            "emily", 700_002, "Emily", "Chen", "en", "resident", "tenant", f"{b1}-502",
            "+8613800138002",
        ),
        CastMember(
            "chen", 700_003, "志强", "陈", "zh_Hans", "resident", "owner", f"{b2}-201",
            "+8613800138003",
        ),
        CastMember(
            "david", 700_004, "David", "Miller", "en", "resident", "owner", f"{b2}-602",
            "+8613800138004",
        ),
    )  # fmt: skip


VISITORS = (
    CastMember("liu", 710_001, "洋", "刘", "zh_Hans", "visitor"),
    CastMember("sam", 710_002, "Sam", "Taylor", "en", "visitor"),
)


def cast(plan: Blueprint) -> tuple[CastMember, ...]:
    return (*residents(plan), *VISITORS, *plan.staff)


def units_csv(plan: Blueprint) -> str:
    """Three buildings, six floors, two flats a floor, with realistic areas."""
    areas = {
        plan.buildings[0]: ("89.50", "120.00"),
        plan.buildings[1]: ("76.80", "98.20"),
        plan.buildings[2]: ("65.30", "143.60"),
    }
    lines = ["building,unit,floor,area_m2"]
    for building in plan.buildings:
        for floor in range(1, 7):
            for side in (1, 2):
                lines.append(f"{building},{floor}0{side},{floor},{areas[building][side - 1]}")
    return "\n".join(lines) + "\n"


# --- what the sandbox must remember ---------------------------------------------------


@dataclass
class DemoGate:
    id: int
    name: str
    kind: str
    api_key: str


@dataclass
class DemoInvitation:
    invitation_id: int
    unit: str
    code: str


@dataclass
class SandboxState:
    """Contents of ``sandbox.json``."""

    community_id: int
    language: Language
    admin_chat_id: int
    gates: list[DemoGate] = field(default_factory=list)
    invitations: list[DemoInvitation] = field(default_factory=list)
    # How far the page moved the sandbox's time forward, in seconds.
    clock_offset_s: int = 0
    version: int = STATE_VERSION
    # Not saved: True when this start created the community (a new database).
    fresh: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("fresh")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxState:
        return cls(
            community_id=int(data["community_id"]),
            language="en" if data.get("language") == "en" else "zh_Hans",
            admin_chat_id=int(data["admin_chat_id"]),
            gates=[DemoGate(**g) for g in data.get("gates", [])],
            invitations=[DemoInvitation(**i) for i in data.get("invitations", [])],
            clock_offset_s=int(data.get("clock_offset_s", 0)),
            version=int(data.get("version", STATE_VERSION)),
        )


def load_state(path: Path) -> SandboxState | None:
    try:
        return SandboxState.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_state(path: Path, state: SandboxState) -> None:
    """Write atomically, readable by this user only (it holds gate keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state.to_json(), fh, ensure_ascii=False, indent=1)
    tmp.replace(path)


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
        await _top_up_invitations(session, state, secret_key=secret_key, clock=clock)
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


async def usable_invitation_ids(
    session: AsyncSession, state: SandboxState, clock: Clock
) -> set[int]:
    """Which of the kept invitations could still bring someone in."""
    ids = [i.invitation_id for i in state.invitations]
    if not ids:
        return set()
    rows = (await session.scalars(select(Invitation).where(Invitation.id.in_(ids)))).all()
    now = clock.now()
    return {
        inv.id
        for inv in rows
        if inv.revoked_at is None and inv.expires_at > now and inv.uses < inv.max_uses
    }


async def _top_up_invitations(
    session: AsyncSession, state: SandboxState, *, secret_key: str, clock: Clock
) -> None:
    """Keep a few letterbox invitations of empty flats for the page to hand out."""
    usable = await usable_invitation_ids(session, state, clock)
    unused = await _unused_ids(session, usable)
    if len(unused) >= KEPT_INVITATIONS:
        state.invitations = [i for i in state.invitations if i.invitation_id in usable]
        return
    community = await session.get(Community, state.community_id)
    assert community is not None
    building = await session.scalar(
        select(Building)
        .where(Building.community_id == community.id)
        .order_by(Building.id.desc())
        .limit(1)
    )
    issued = await issue_unit_invitations(
        session,
        community,
        secret_key=secret_key,
        clock=clock,
        buildings=[building.name] if building else None,
        only_vacant=True,
        valid_days=INVITATION_DAYS,
    )
    fresh = [
        DemoInvitation(i.invitation_id, f"{i.building}-{i.unit}", i.code)
        for i in issued[:KEPT_INVITATIONS]
    ]
    # Re-issuing revoked the building's older letters: keep only what still works.
    still = await usable_invitation_ids(session, state, clock)
    state.invitations = [i for i in state.invitations if i.invitation_id in still] + fresh


async def _unused_ids(session: AsyncSession, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    rows = (await session.scalars(select(Invitation).where(Invitation.id.in_(ids)))).all()
    return {inv.id for inv in rows if inv.uses == 0}


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
