"""1:N search and the gate decision, on real templates and on synthetic ones."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from access.faces import (
    Decision,
    DenialReason,
    DlibDeepFaceEngine,
    FaceIndex,
    Match,
    SearchResult,
    decide,
)
from tests.faces.conftest import photo

pytestmark = pytest.mark.faces

ENROLLED = {
    "obama": ["obama_portrait.jpg", "obama_east_room.jpg", "obama_portrait_dim.jpg"],
    "biden": ["biden.jpg"],
    "collins": ["collins.jpg"],
}


@pytest.fixture
def index(templates: dict[str, np.ndarray]) -> FaceIndex:
    idx = FaceIndex()
    for person, names in ENROLLED.items():
        idx.replace_person(person, [templates[n] for n in names])
    return idx


def _gate(engine: DlibDeepFaceEngine, index: FaceIndex, name: str) -> Decision:
    result = engine.analyze(photo(name))
    assert result.template is not None
    s = engine.settings
    return index.identify(result.template, s.match_threshold, s.match_margin)


@pytest.mark.parametrize(
    ("probe", "person"),
    [
        ("obama_podium.jpg", "obama"),  # a photo not enrolled
        ("obama_podium_small.jpg", "obama"),
        ("obama_east_room_bright.jpg", "obama"),
        ("biden_tight.jpg", "biden"),
        ("biden_low_contrast.jpg", "biden"),
        ("collins_crop.jpg", "collins"),
    ],
)
def test_enrolled_person_is_let_in(
    engine: DlibDeepFaceEngine, index: FaceIndex, probe: str, person: str
) -> None:
    decision = _gate(engine, index, probe)
    assert decision.granted and decision.person_id == person and decision.reason is None
    assert decision.second_distance is not None and decision.distance is not None
    assert decision.second_distance - decision.distance >= engine.settings.match_margin


def test_stranger_is_not_let_in(engine: DlibDeepFaceEngine, templates: dict) -> None:
    idx = FaceIndex()
    idx.replace_person("obama", [templates["obama_portrait.jpg"]])
    idx.replace_person("collins", [templates["collins.jpg"]])
    decision = _gate(engine, idx, "biden_tight.jpg")
    assert not decision.granted and decision.reason is DenialReason.NO_MATCH
    assert decision.person_id is None


def test_removed_person_no_longer_matches(engine: DlibDeepFaceEngine, index: FaceIndex) -> None:
    assert _gate(engine, index, "obama_podium.jpg").granted
    assert index.remove_person("obama")
    assert "obama" not in index and len(index) == 2 and index.persons == 2
    decision = _gate(engine, index, "obama_podium.jpg")
    assert not decision.granted and decision.reason is DenialReason.NO_MATCH
    assert not index.remove_person("obama")


def test_replacing_templates_drops_the_old_ones(index: FaceIndex, templates: dict) -> None:
    index.replace_person("obama", [templates["biden.jpg"]])  # a mistaken re-enrollment
    assert len(index) == 3
    best = index.search(templates["obama_portrait.jpg"]).best
    assert best is not None and best.distance > 0.6


def test_second_best_is_a_different_person() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=128).astype(np.float32)
    idx = FaceIndex()
    # Three templates of "a" nearest the probe, then "b": the runner-up must be "b".
    idx.replace_person("a", [base + 0.01 * i for i in range(1, 4)])
    idx.replace_person("b", [base + 0.2])
    idx.replace_person("c", [base + 5.0])
    res = idx.search(base)
    assert res.best is not None and res.second is not None
    assert res.best.person_id == "a" and res.second.person_id == "b"
    assert res.best.distance == pytest.approx(0.01 * np.sqrt(128), rel=1e-3)
    assert res.second.distance == pytest.approx(0.2 * np.sqrt(128), rel=1e-3)


def test_lookalikes_are_ambiguous() -> None:
    assert decide(SearchResult(Match(1, 0.30), Match(2, 0.35)), 0.5, 0.1) == Decision(
        False, None, 0.30, 0.35, DenialReason.AMBIGUOUS
    )
    assert decide(SearchResult(Match(1, 0.30), Match(2, 0.40)), 0.5, 0.1).granted
    assert decide(SearchResult(Match(1, 0.30), None), 0.5, 0.1).granted
    assert decide(SearchResult(Match(1, 0.51), None), 0.5, 0.1).reason is DenialReason.NO_MATCH
    assert decide(SearchResult(None, None), 0.5, 0.1).reason is DenialReason.NO_MATCH


def test_empty_index() -> None:
    idx = FaceIndex()
    assert idx.search(np.zeros(128)) == SearchResult(None, None)
    assert not idx.identify(np.zeros(128), 0.5, 0.1).granted


def test_matches_brute_force_on_random_data() -> None:
    rng = np.random.default_rng(7)
    n_people = 3000
    truth = {p: [rng.normal(size=128) for _ in range(1 + p % 3)] for p in range(n_people)}
    idx = FaceIndex()
    idx.load((p, v) for p, vs in truth.items() for v in vs)
    assert len(idx) == sum(map(len, truth.values())) and idx.persons == n_people
    # Then enrollment changes, which update the snapshot incrementally.
    for p in range(0, n_people, 7):
        truth[p] = [rng.normal(size=128) for _ in range(3 - p % 3)]
        idx.replace_person(p, truth[p])
    for p in range(3, n_people, 11):
        assert idx.remove_person(p) == (p in truth)
        truth.pop(p, None)
    assert len(idx) == sum(map(len, truth.values())) and idx.persons == len(truth)
    owners = np.array([p for p, vs in truth.items() for _ in vs])
    matrix = np.stack([v for vs in truth.values() for v in vs])
    for _ in range(20):
        q = rng.normal(size=128)
        d = np.linalg.norm(matrix - q, axis=1)
        per_person: dict[int, float] = {}
        for o, dist in zip(owners, d, strict=True):
            per_person[o] = min(per_person.get(o, np.inf), dist)
        (p1, d1), (p2, d2) = sorted(per_person.items(), key=lambda kv: kv[1])[:2]
        res = idx.search(q)
        assert res.best is not None and res.second is not None
        assert (res.best.person_id, res.second.person_id) == (p1, p2)
        assert res.best.distance == pytest.approx(d1, rel=1e-4)
        assert res.second.distance == pytest.approx(d2, rel=1e-4)


def test_limits_are_enforced() -> None:
    idx = FaceIndex()
    with pytest.raises(ValueError, match="at most 3"):
        idx.replace_person(1, [np.zeros(128)] * 4)
    with pytest.raises(ValueError, match="shape"):
        idx.replace_person(1, [np.zeros(127)])
    with pytest.raises(ValueError, match="finite"):
        idx.replace_person(1, [np.full(128, np.nan)])
    with pytest.raises(ValueError, match="more than 3"):
        idx.load([(1, np.zeros(128))] * 4)
    assert len(idx) == 0


def test_search_while_writers_change_the_index() -> None:
    rng = np.random.default_rng(3)
    idx = FaceIndex()
    idx.load((p, rng.normal(size=128)) for p in range(2000))
    anchor = rng.normal(size=128).astype(np.float32)
    idx.replace_person("anchor", [anchor])
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        local = np.random.default_rng(4)
        try:
            while not stop.is_set():
                p = int(local.integers(2000))
                idx.replace_person(p, [local.normal(size=128)] * int(local.integers(0, 4)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(300):
            res = idx.search(anchor)
            assert res.best is not None and res.best.person_id == "anchor"
            assert res.best.distance < 1e-3
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
