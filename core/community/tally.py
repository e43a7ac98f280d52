"""The rules of Civil Code art. 278 (2021), applied to a vote's ballots.

* Participation: owners holding at least ⅔ of the exclusive area *and* at least ⅔
  of the owners take part (cast a ballot, abstaining included).
* An ordinary matter passes with more than half of the participating area *and* of
  the participating owners agreeing; a special one (raising or using the
  maintenance fund, rebuilding, changing the use of common parts) with at least ¾
  of both.
* Starting an old-community renovation (the source documents' rule) needs every
  household concerned to agree: 100% of the units entitled to vote.

Owners are counted by units, one unit one owner (the Supreme People's Court's
interpretation on building ownership, art. 9); area is the unit's registered m².
Everything is exact (Decimal and integer comparisons, no floats).
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

    def as_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        fields: dict[str, Any] = {
            k: Decimal(v) if k.endswith("_area") else v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
        }
        return cls(**fields)


def tally(
    matter: VoteMatter,
    units: dict[int, Decimal],
    ballots: dict[int, VoteChoice],
) -> Tally:
    """``units``: unit id -> area of every unit entitled to vote; ``ballots``: unit id
    -> the choice cast (units outside ``units`` are ignored)."""
    counted = {u: c for u, c in ballots.items() if u in units}

    def units_and_area(choice: VoteChoice | None) -> tuple[int, Decimal]:
        ids = [u for u, c in counted.items() if choice is None or c == choice]
        return len(ids), sum((units[u] for u in ids), Decimal(0))

    eligible_units, eligible_area = len(units), sum(units.values(), Decimal(0))
    voted_units, voted_area = units_and_area(None)
    agree_units, agree_area = units_and_area(VoteChoice.AGREE)
    against_units, against_area = units_and_area(VoteChoice.AGAINST)
    abstain_units, abstain_area = units_and_area(VoteChoice.ABSTAIN)
    quorum = (
        eligible_units > 0
        and voted_units * 3 >= eligible_units * 2
        and voted_area * 3 >= eligible_area * 2
    )
    if matter == VoteMatter.RENOVATION:
        passed = eligible_units > 0 and agree_units == eligible_units
    elif matter == VoteMatter.SPECIAL:
        passed = quorum and agree_units * 4 >= voted_units * 3 and agree_area * 4 >= voted_area * 3
    else:
        passed = quorum and agree_units * 2 > voted_units and agree_area * 2 > voted_area
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
    )
