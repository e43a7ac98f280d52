"""The rules of Civil Code art. 278 (2021), applied to a vote's ballots.

* Participation: owners holding at least ⅔ of the exclusive area *and* at least ⅔
  of the owners take part (cast a ballot, abstaining included).
* An ordinary matter passes with more than half of the participating area *and* of
  the participating owners agreeing; a special one (raising or using the
  maintenance fund, rebuilding, changing the use of common parts) with at least ¾
  of both.
* Starting an old-community renovation (the source documents' rule) needs every
  household concerned to agree: 100% of the units entitled to vote.

Owners are counted as the Supreme People's Court's interpretation on building
ownership (art. 9) says: one unit, one owner — but one buyer of several units is
one owner. Units that share an owner carry one owner key (set when the vote opens);
a key counts once in the headcount, with the choice of the first ballot cast for
any of its units. Area sums every unit's registered m². Households (the renovation
rule) are units. Everything is exact (Decimal and integer comparisons, no floats).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from core.community.models import VoteChoice, VoteMatter


@dataclass(frozen=True)
class Tally:
    matter: str
    eligible_units: int
    eligible_area: Decimal
    voted_units: int
    voted_area: Decimal
    agree_units: int
    agree_area: Decimal
    against_units: int
    against_area: Decimal
    abstain_units: int
    abstain_area: Decimal
    quorum: bool
    passed: bool
    eligible_owners: int = 0
    voted_owners: int = 0
    agree_owners: int = 0
    against_owners: int = 0
    abstain_owners: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        fields: dict[str, Any] = {
            k: Decimal(v) if k.endswith("_area") else v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
        }
        # A result kept before owners were counted apart from units: one unit, one owner.
        for part in ("eligible", "voted", "agree", "against", "abstain"):
            fields.setdefault(f"{part}_owners", fields[f"{part}_units"])
        return cls(**fields)


def tally(
    matter: VoteMatter,
    units: dict[int, Decimal],
    ballots: dict[int, VoteChoice],
    owner_keys: dict[int, int] | None = None,
) -> Tally:
    """``units``: unit id -> area of every unit entitled to vote; ``ballots``: unit id
    -> the choice cast, in the order cast (units outside ``units`` are ignored);
    ``owner_keys``: unit id -> its owner key (a unit missing is its own owner)."""
    counted = {u: c for u, c in ballots.items() if u in units}
    keys = owner_keys or {}

    def key(unit: int) -> int:
        return keys.get(unit, unit)

    owner_choice: dict[int, VoteChoice] = {}
    for unit, choice in counted.items():
        owner_choice.setdefault(key(unit), choice)

    def owners(choice: VoteChoice | None) -> int:
        return sum(1 for c in owner_choice.values() if choice is None or c == choice)

    def units_and_area(choice: VoteChoice | None) -> tuple[int, Decimal]:
        ids = [u for u, c in counted.items() if choice is None or c == choice]
        return len(ids), sum((units[u] for u in ids), Decimal(0))

    eligible_units, eligible_area = len(units), sum(units.values(), Decimal(0))
    voted_units, voted_area = units_and_area(None)
    agree_units, agree_area = units_and_area(VoteChoice.AGREE)
    against_units, against_area = units_and_area(VoteChoice.AGAINST)
    abstain_units, abstain_area = units_and_area(VoteChoice.ABSTAIN)
    eligible_owners = len({key(u) for u in units})
    voted_owners, agree_owners = owners(None), owners(VoteChoice.AGREE)
    quorum = (
        eligible_owners > 0
        and voted_owners * 3 >= eligible_owners * 2
        and voted_area * 3 >= eligible_area * 2
    )
    if matter == VoteMatter.RENOVATION:
        passed = eligible_units > 0 and agree_units == eligible_units
    elif matter == VoteMatter.SPECIAL:
        passed = (
            quorum and agree_owners * 4 >= voted_owners * 3 and agree_area * 4 >= voted_area * 3
        )
    else:
        passed = quorum and agree_owners * 2 > voted_owners and agree_area * 2 > voted_area
    return Tally(
        matter.value,
        eligible_units,
        eligible_area,
        voted_units,
        voted_area,
        agree_units,
        agree_area,
        against_units,
        against_area,
        abstain_units,
        abstain_area,
        quorum,
        passed,
        eligible_owners,
        voted_owners,
        agree_owners,
        owners(VoteChoice.AGAINST),
        owners(VoteChoice.ABSTAIN),
    )


def owner_keys(unit_ids: list[int], owners: list[tuple[int, int]]) -> dict[int, int]:
    """Unit id -> the smallest unit id of the units joined to it by common owners
    (``owners``: (unit id, person id) pairs; an owner of two units links them, and
    so does a co-owner of either)."""
    parent = {u: u for u in unit_ids}

    def root(unit: int) -> int:
        while parent[unit] != unit:
            parent[unit] = parent[parent[unit]]
            unit = parent[unit]
        return unit

    first_unit: dict[int, int] = {}
    for unit, person in owners:
        a, b = root(unit), root(first_unit.setdefault(person, unit))
        parent[max(a, b)] = min(a, b)
    return {u: root(u) for u in unit_ids}
