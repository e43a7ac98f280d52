"""The threshold evaluation of bench/faces.py --eval counts what it says it counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench._faces_eval import evaluate


def test_rates_and_the_gate_rule():
    base = np.zeros(128, np.float32)

    def at(x: float) -> np.ndarray:
        v = base.copy()
        v[0] = x
        return v

    # Anna: two photos 0.3 apart; Bo: 0.7 from Anna; Cy (one photo): 0.55 from Anna.
    vectors = {
        Path("anna/1.jpg"): at(0.0),
        Path("anna/2.jpg"): at(0.3),
        Path("bo/1.jpg"): at(1.0),
        Path("bo/2.jpg"): at(1.45),
        Path("cy/1.jpg"): at(-0.55),
    }
    owner = {p: p.parent.name for p in vectors}
    r = evaluate(vectors, owner, threshold=0.5, margin=0.1, guard=0.6, sweep=(0.25, 0.5))
    assert (r["people"], r["photos"], r["genuine_pairs"], r["impostor_pairs"]) == (3, 5, 2, 8)
    assert r["genuine"] == [0.3, 0.45] and r["min_impostor"] == 0.55
    assert r["pair_far"] == 0.0 and r["pair_frr"] == 0.0
    # Cy (never enrolled with another photo) is only an impostor: 4 probes of enrolled
    # people. Anna's 1.jpg against Anna's 2.jpg (0.3) and Cy (0.55): margin 0.25, granted.
    assert r["gate_probes"] == 4 and r["gate_far"] == 0.0 and r["gate_frr"] == 0.0
    assert r["lookalike_pairs"] == 1  # Anna and Cy: 0.55 < 0.6
    assert r["sweep"]["0.25"]["pair_frr"] == 1.0 and r["sweep"]["0.25"]["gate_frr"] == 1.0
