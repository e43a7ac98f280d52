"""Benchmark of the face engine; prints one JSON line.

    uv run python bench/faces.py [--rounds 3] [--people DIR] [--eval]

--people DIR measures on other photos: one sub-folder per person, each holding that
person's photos (at least two people; one face per photo; a person with one photo
counts as an impostor only). --eval prints the threshold evaluation alone (no timing):
genuine and impostor distances, false accept / reject rates of single pairs and of the
gate's rule at the threshold and over a sweep (bench/_faces_eval.py).

Keys:
  load_s                 model load (weights already provisioned)
  template_ms            median time from JPEG bytes of a 640x480 frame to a template
  decision_ms            median of the same plus the 1:N decision over 10,000 templates
  search_10k_ms          median 1:N search over 10,000 templates
  search_100k_ms         median 1:N search over 100,000 templates
  max_same / min_diff    largest same-person / smallest different-person distance over
                         the committed photos (tests/faces/images)
  baseline_represent_ms  plain DeepFace.represent(model_name="Dlib",
                         detector_backend="dlib") with deepface's default alignment,
                         on the same frames, in the same run
and, for the decision record: the threshold and margin in force, baseline_max_same and
baseline_min_diff (deepface's own crop), false_matches (different-person pairs within
the threshold), gate_min_margin (smallest runner-up gap over leave-one-out gate
probes), gate_wrong_grants and gate_denials of those probes, and the machine's 1-minute
load average (the larger of before and after).

The 10k/100k templates are synthetic (random vectors with the spread of real Dlib
templates): search time depends on the matrix size, not on whose faces these are.
Everything else runs on the committed photos. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from access.faces import DlibDeepFaceEngine, FaceIndex, FaceSettings, provision_weights

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "tests" / "faces" / "images"
PEOPLE: dict[str, tuple[str, ...]] = {
    "obama": (
        "obama_portrait.jpg",
        "obama_podium.jpg",
        "obama_east_room.jpg",
        "obama_portrait_tight.jpg",
        "obama_podium_small.jpg",
        "obama_east_room_bright.jpg",
        "obama_portrait_dim.jpg",
    ),
    "biden": ("biden.jpg", "biden_tight.jpg", "biden_low_contrast.jpg"),
    "collins": ("collins.jpg", "collins_crop.jpg"),
}

#: The threshold evaluation's default set: independent photographs only (no derived
#: crops or light variants, which would flatter the genuine distances).
EVAL_PEOPLE: dict[str, tuple[str, ...]] = {
    "obama": ("obama_portrait.jpg", "obama_podium.jpg", "obama_east_room.jpg"),
    "biden": ("biden.jpg",),
    "collins": ("collins.jpg",),
    "hopper": ("grace_hopper.jpg",),
}

Owners = dict[Path, str]  # photo -> person


def committed_people() -> Owners:
    return {IMAGES / name: who for who, names in PEOPLE.items() for name in names}


def folder_people(root: Path) -> Owners:
    exts = {".jpg", ".jpeg", ".png", ".webp"}
    return {
        photo: person.name
        for person in sorted(p for p in root.iterdir() if p.is_dir())
        for photo in sorted(person.iterdir())
        if photo.suffix.lower() in exts
    }


def frame_640x480(path: Path) -> bytes:
    """The photo fitted into a 640x480 camera-like frame, as JPEG bytes."""
    img = Image.open(path).convert("RGB")
    img.thumbnail((640, 480), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(img, ((640 - img.width) // 2, (480 - img.height) // 2))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def pair_extremes(vectors: dict[Path, np.ndarray], owner: Owners) -> tuple[float, float]:
    same, diff = [], []
    for a, b in itertools.combinations(sorted(vectors), 2):
        d = float(np.linalg.norm(vectors[a] - vectors[b]))
        (same if owner[a] == owner[b] else diff).append(d)
    return max(same), min(diff)


def synthetic(n: int, like: np.ndarray, seed: int) -> list[tuple[object, np.ndarray]]:
    """n templates, 3 per synthetic person, spread like the real ones."""
    rng = np.random.default_rng(seed)
    mean, std = like.mean(axis=0), like.std(axis=0) + 1e-3
    vecs = (mean + rng.normal(size=(n, like.shape[1])) * std * 1.5).astype(np.float32)
    return [(f"synthetic-{i // 3}", vecs[i]) for i in range(n)]


def time_search(index: FaceIndex, queries: np.ndarray) -> float:
    samples = []
    for q in queries:
        t = time.perf_counter()
        index.search(q)
        samples.append(time.perf_counter() - t)
    return median_ms(samples)


def gate_probes(
    vectors: dict[Path, np.ndarray], owner: Owners, threshold: float, margin: float
) -> tuple[float, int, int]:
    """Leave-one-out: enroll up to 3 other photos per person, probe with the one left."""
    gaps, wrong, denied = [], 0, 0
    for probe in sorted(vectors):
        index = FaceIndex()
        for who in set(owner.values()):
            others = [v for n, v in sorted(vectors.items()) if owner[n] == who and n != probe]
            index.replace_person(who, others[:3])
        res = index.search(vectors[probe])
        decision = index.identify(vectors[probe], threshold, margin)
        if decision.granted and decision.person_id != owner[probe]:
            wrong += 1
        if not decision.granted:
            denied += 1
        if res.best is not None and res.second is not None and res.best.person_id == owner[probe]:
            gaps.append(res.second.distance - res.best.distance)
    return min(gaps), wrong, denied


def run(rounds: int, owner: Owners) -> dict[str, object]:
    # Other work on the machine moves these numbers (the 100k search is bound by memory
    # bandwidth and BLAS threads): the load average is recorded with them.
    load_before = os.getloadavg()[0]
    home = Path(tempfile.mkdtemp(prefix="deepface-bench-"))
    provision_weights(home)
    os.environ["DEEPFACE_HOME"] = str(home)  # for the plain-deepface baseline below
    settings = FaceSettings(deepface_home=home)
    engine = DlibDeepFaceEngine(settings)
    t = time.perf_counter()
    engine.check_ready()
    load_s = round(time.perf_counter() - t, 3)

    names = sorted(owner)
    photos = {n: n.read_bytes() for n in names}
    frames = {n: frame_640x480(n) for n in names}

    vectors: dict[Path, np.ndarray] = {}
    for n in names:
        tpl = engine.analyze(photos[n]).template
        if tpl is None:
            raise SystemExit(f"{n}: no template ({engine.analyze(photos[n]).problem})")
        vectors[n] = tpl
    max_same, min_diff = pair_extremes(vectors, owner)
    threshold, margin = settings.match_threshold, settings.match_margin
    false_matches = sum(
        1
        for a, b in itertools.combinations(names, 2)
        if owner[a] != owner[b] and np.linalg.norm(vectors[a] - vectors[b]) <= threshold
    )
    gate_gap, gate_wrong, gate_denied = gate_probes(vectors, owner, threshold, margin)

    real = np.stack(list(vectors.values()))
    idx10k, idx100k = FaceIndex(), FaceIndex()
    rows = synthetic(100_000, real, seed=1)
    idx10k.load(rows[:9_990])
    idx100k.load(rows)
    for who in set(owner.values()):  # the real people are enrolled among synthetic ones
        idx10k.replace_person(who, [vectors[n] for n in names if owner[n] == who][:3])
    queries = np.stack([v for _, v in synthetic(200, real, seed=2)])
    search_10k_ms = time_search(idx10k, queries)
    search_100k_ms = time_search(idx100k, queries)

    engine.analyze(frames[names[0]])  # warm-up
    template_s, decision_s = [], []
    for _ in range(rounds):
        for n in names:
            t = time.perf_counter()
            engine.analyze(frames[n])
            template_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            tpl = engine.analyze(frames[n]).template
            assert tpl is not None, n
            decision = idx10k.identify(tpl, threshold, margin)
            decision_s.append(time.perf_counter() - t)
            if decision.granted and decision.person_id != owner[n]:
                gate_wrong += 1

    from deepface import DeepFace

    def represent(data: bytes) -> np.ndarray:
        out = DeepFace.represent(io.BytesIO(data), model_name="Dlib", detector_backend="dlib")
        return np.asarray(out[0]["embedding"], dtype=np.float32)

    represent(frames[names[0]])  # warm-up (builds deepface's dlib detector)
    baseline_s = []
    for _ in range(rounds):
        for n in names:
            t = time.perf_counter()
            represent(frames[n])
            baseline_s.append(time.perf_counter() - t)
    base_same, base_diff = pair_extremes({n: represent(photos[n]) for n in names}, owner)

    return {
        "load_s": load_s,
        "template_ms": median_ms(template_s),
        "decision_ms": median_ms(decision_s),
        "search_10k_ms": search_10k_ms,
        "search_100k_ms": search_100k_ms,
        "max_same": round(max_same, 4),
        "min_diff": round(min_diff, 4),
        "baseline_represent_ms": median_ms(baseline_s),
        "baseline_max_same": round(base_same, 4),
        "baseline_min_diff": round(base_diff, 4),
        "threshold": threshold,
        "margin": margin,
        "false_matches": false_matches,
        "gate_min_margin": round(gate_gap, 4),
        "gate_wrong_grants": gate_wrong,
        "gate_denials": gate_denied,
        "photos": len(names),
        "cpus": os.cpu_count(),
        "loadavg_1m": round(max(load_before, os.getloadavg()[0]), 2),
    }


def evaluation(owner: Owners) -> dict[str, object]:
    """The threshold evaluation alone (bench/_faces_eval.py), on these photos."""
    sys.path.insert(0, str(ROOT))
    from bench._faces_eval import evaluate

    home = Path(tempfile.mkdtemp(prefix="deepface-bench-"))
    provision_weights(home)
    settings = FaceSettings(deepface_home=home)
    engine = DlibDeepFaceEngine(settings)
    vectors: dict[Path, np.ndarray] = {}
    refused: dict[str, str] = {}
    for n in sorted(owner):
        analysis = engine.analyze(n.read_bytes())
        if analysis.template is None:
            refused[str(n)] = str(analysis.problem)
            continue
        vectors[n] = analysis.template
    result = evaluate(
        vectors,
        owner,
        threshold=settings.match_threshold,
        margin=settings.match_margin,
        guard=settings.match_lookalike_guard,
    )
    result["refused_photos"] = refused
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the photos")
    parser.add_argument("--people", type=Path, help="folder with one sub-folder per person")
    parser.add_argument("--eval", action="store_true", help="threshold evaluation only")
    args = parser.parse_args()
    if args.people:
        owner = folder_people(args.people)
    elif args.eval:
        owner = {IMAGES / n: who for who, names in EVAL_PEOPLE.items() for n in names}
    else:
        owner = committed_people()
    # deepface prints its own progress; keep stdout for the JSON line alone.
    with contextlib.redirect_stdout(sys.stderr):
        result = evaluation(owner) if args.eval else run(args.rounds, owner)
        if args.people and not args.eval:
            result["evaluation"] = evaluation(owner)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
