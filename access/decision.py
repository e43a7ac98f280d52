"""What a gate decision takes and gives: credentials, policy, inputs and outcomes.

The vocabulary shared by :mod:`access.resolvers` (who is this, may they pass) and
:mod:`access.verification` (one decision, one transaction). No SQL here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from access.gates import GateInfo
from access.store import PassRow
from access.throttle import Lockout, ThrottlePolicy
from core.models import StaffRole
from core.permissions import roles_for


class Method(enum.StrEnum):
    CODE = "code"
    QR = "qr"
    REMOTE = "remote"
    STAFF = "staff"
    FACE = "face"
    WALKIN = "walkin"  # a walk-in registered at the gate, let in by a resident
    CALL = "call"  # the terminal's intercom call, answered by a resident
    PLATE = "plate"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Reason(enum.StrEnum):
    # granted
    OK = "ok"
    REMOTE = "remote"
    STAFF = "staff"
    RESIDENT = "resident"
    EMERGENCY = "emergency"
    EXIT = "exit"
    DOOR_FAILED = "door_failed"  # follow-up row: granted, but the door did not open
    # denied
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_GATE = "wrong_gate"
    OUTSIDE_HOURS = "outside_hours"
    USED = "used"
    SUSPENDED = "suspended"  # a daily-help pass every household suspended (or left)
    LOCKED_OUT = "locked_out"
    GATE_DISABLED = "gate_disabled"
    NOT_ALLOWED = "not_allowed"
    RATE_LIMITED = "rate_limited"
    # denied, face (access.faces.gate)
    FACE_UNUSABLE = "face_unusable"  # no single usable face in the image
    NO_MATCH = "no_match"  # nobody enrolled is close enough
    AMBIGUOUS = "ambiguous"  # two enrolled persons about as close: refuse
    USE_CODE = "use_code"  # too many face failures at this gate: use a code or card
    SECOND_FACTOR = "second_factor"  # a look-alike's face: a code, card or the chat too
    LIVENESS_FAILED = "liveness_failed"  # not shown to be a live person (blink / turn)
    # walk-ins and intercom calls (access.walkins): granted "let_in", or why not
    LET_IN = "let_in"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"
    NO_RESIDENTS = "no_residents"
    MUTED = "muted"
    REFUSED_RECENTLY = "refused_recently"
    UNKNOWN_UNIT = "unknown_unit"  # the terminal named a unit the community does not have
    # denied, plates (access.vehicles.plate_gate)
    PLATE_UNREADABLE = "plate_unreadable"  # the camera's text is not a Chinese plate
    PLATE_UNSURE = "plate_unsure"  # read below the trusted confidence: ask the guard
    BLOCKED = "blocked"  # on the community's black list
    PAYMENT_DUE = "payment_due"  # temporary parking to pay before the exit opens
    # granted, plates
    VEHICLE = "vehicle"  # a resident's approved plate
    LISTED = "listed"  # on the community's white list


class DoorOutcome(enum.StrEnum):
    RELEASED = "released"
    FAILED = "failed"
    HELD_OPEN = "held_open"
    NOT_COMMANDED = "not_commanded"


@dataclass(frozen=True)
class Credential:
    """What was presented: a secret (code, QR token) or a person (remote, staff, face)."""

    method: Method
    secret: str = ""
    person_id: int | None = None
    # Set when the presenting side already knows the answer is no (the face engine
    # matched nobody): the decision logs and returns it like any other denial.
    denial: Reason | None = None
    # A camera's plate read: how sure it is (0 to 1); None when not said.
    confidence: float | None = None

    @classmethod
    def code(cls, code: str) -> Credential:
        return cls(Method.CODE, secret=code)

    @classmethod
    def qr(cls, token: str) -> Credential:
        return cls(Method.QR, secret=token)

    @classmethod
    def person(cls, method: Method, person_id: int | None) -> Credential:
        return cls(method, person_id=person_id)

    @classmethod
    def plate(
        cls, plate: str, confidence: float | None = None, denial: Reason | None = None
    ) -> Credential:
        return cls(Method.PLATE, secret=plate, confidence=confidence, denial=denial)

    @classmethod
    def face(cls, person_id: int | None, denial: Reason | None = None) -> Credential:
        return cls(Method.FACE, person_id=person_id, denial=denial)


@dataclass(frozen=True)
class AccessPolicy:
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    # Remote opening from the chat, per resident.
    remote_per_window: int = 6
    remote_window_s: int = 600
    # The staff table's row for opening a door (core.permissions), read once.
    staff_open_roles: frozenset[StaffRole] = field(default_factory=lambda: roles_for("access.open"))
    # A holder recorded inside may leave this long after the pass ended (a visit that
    # ran past the window must not trap anyone); later, only staff open.
    exit_grace_s: int = 24 * 3600
    # A correct code entered during a lock-out rings its host at most this often.
    ring_interval_s: int = 120
    # A camera's plate read below this confidence is not trusted alone
    # (COURTYARD_PLATE_MIN_CONFIDENCE).
    plate_min_confidence: float = 0.9


@dataclass(frozen=True)
class PaymentDue:
    """An exit held for temporary parking: what is due, and the code the terminal
    shows (sent to the bot, it brings up the payment; access.vehicles.parking)."""

    amount_minor: int
    currency: str
    pay_code: str
    stay_id: int = 0
    plate: str = ""
    # The first time this stay is held: its host (or owner) is told in the chat.
    first: bool = False


@dataclass(frozen=True)
class HostRing:
    """A correct code was entered while the keypad was locked out: ask its host.

    Never part of the terminal's answer (the terminal sees ``locked_out`` whatever
    was typed, so the lock-out stays no oracle)."""

    pass_id: int
    host_person_id: int
    host_unit_id: int
    holder_name: str


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: Reason
    method: Method
    direction: Direction
    gate_id: int
    community_id: int
    at: datetime
    log_id: int | None = None
    pass_id: int | None = None
    pass_kind: str | None = None
    holder_name: str = ""
    person_id: int | None = None
    host_person_id: int | None = None
    host_unit_id: int | None = None
    uses_left: int | None = None
    retry_after_s: int | None = None
    door: DoorOutcome = DoorOutcome.NOT_COMMANDED
    lockout: Lockout | None = None
    # The first entry through this pass (hosts are told about every entry).
    first_use: bool = False
    ring: HostRing | None = None
    # Decided by a gate agent while the server was away, recorded on reconnection.
    reported_late: bool = False
    payment: PaymentDue | None = None

    def with_door(self, door: DoorOutcome) -> Decision:
        return replace(self, door=door)


@dataclass
class Resolution:
    """What a resolver found; ``reason`` set means denied."""

    reason: Reason | None
    pass_row: PassRow | None = None
    person_id: int | None = None
    holder_name: str = ""
    host_unit_id: int | None = None
    # Counts toward the terminal's guessing protection.
    is_guess: bool = False
    # Granted without a pass: the reason logged when it is not the method's own.
    grant_reason: Reason | None = None
    payment: PaymentDue | None = None
    # A plate: the class its stay is charged as (access.vehicles.tariff).
    vehicle_class: str | None = None


@dataclass(frozen=True)
class DecisionInput:
    gate: GateInfo
    credential: Credential
    direction: Direction
    terminal: str | None
    now: datetime
    secret_key: str
    policy: AccessPolicy
