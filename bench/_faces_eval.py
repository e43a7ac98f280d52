"""Threshold evaluation for bench/faces.py: genuine and impostor distances, false accept
and false reject rates at the threshold (and a sweep), for single pairs and for the
gate's own rule (1:N with up to 3 templates per person, threshold and margin).

- genuine pairs: two photos of the same person; impostor pairs: of different people.
- pair FAR / FRR: impostor pairs within the threshold / genuine pairs beyond it.
- gate (leave-one-out): each photo is probed against an index holding up to
  ``templates`` *other* photos of its person and every other person's photos;
  ``gate_frr`` = probes of enrolled people not granted, ``gate_far`` = probes granted
  to someone else. A person with a single photo serves only as an impostor.
- ``lookalike_pairs``: pairs of people nearer than the look-alike guard.

Derived variants of one photo (crops, light) are not independent: sub-folders should
hold different photographs; say in the report what the set is.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from access.faces import FaceIndex

Owners = Mapping[Path, str]


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def evaluate(
    vectors: Mapping[Path, np.ndarray],
    owner: Owners,
    *,
    threshold: float,
    margin: float,
    guard: float,
    templates: int = 3,
    sweep: Sequence[float] = (0.35, 0.40, 0.45, 0.50, 0.55, 0.60),
) -> dict[str, Any]:
    names = sorted(vectors)
    genuine: list[float] = []
    impostor: list[tuple[float, str, str]] = []
    for a, b in itertools.combinations(names, 2):
        d = float(np.linalg.norm(vectors[a] - vectors[b]))
        if owner[a] == owner[b]:
            genuine.append(d)
        else:
            impostor.append((d, owner[a], owner[b]))
    imp = [d for d, _, _ in impostor]
    nearest: dict[tuple[str, str], float] = {}
    for d, x, y in impostor:
        key = (min(x, y), max(x, y))
        nearest[key] = min(d, nearest.get(key, np.inf))

    def pair_rates(t: float) -> tuple[float | None, float | None]:
        return _rate(sum(d <= t for d in imp), len(imp)), _rate(
            sum(d > t for d in genuine), len(genuine)
        )

    def gate(t: float) -> tuple[float | None, float | None, int]:
        wrong = denied = enrolled_probes = 0
        for probe in names:
            index = FaceIndex()
            for who in sorted(set(owner.values())):
                others = [vectors[n] for n in names if owner[n] == who and n != probe]
                if others:
                    index.replace_person(who, others[:templates])
            decision = index.identify(vectors[probe], t, margin)
            if decision.granted and decision.person_id != owner[probe]:
                wrong += 1
            if owner[probe] in index:
                enrolled_probes += 1
                if not (decision.granted and decision.person_id == owner[probe]):
                    denied += 1
        return _rate(wrong, len(names)), _rate(denied, enrolled_probes), enrolled_probes

    far, frr = pair_rates(threshold)
    gate_far, gate_frr, probes = gate(threshold)
    return {
        "people": len(set(owner.values())),
        "photos": len(names),
        "genuine_pairs": len(genuine),
        "impostor_pairs": len(imp),
        "genuine": [round(d, 3) for d in sorted(genuine)],
        "impostor_lowest": [round(d, 3) for d in sorted(imp)[:20]],
        "max_genuine": round(max(genuine), 4) if genuine else None,
        "min_impostor": round(min(imp), 4) if imp else None,
        "threshold": threshold,
        "margin": margin,
        "pair_far": far,
        "pair_frr": frr,
        "gate_far": gate_far,
        "gate_frr": gate_frr,
        "gate_probes": probes,
        "gate_templates": templates,
        "guard": guard,
        "lookalike_pairs": sum(d < guard for d in nearest.values()),
        "sweep": {
            f"{t:.2f}": {
                "pair_far": pair_rates(t)[0],
                "pair_frr": pair_rates(t)[1],
                "gate_far": gate(t)[0],
                "gate_frr": gate(t)[1],
            }
            for t in sweep
        },
    }
