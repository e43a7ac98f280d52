"""1:N search of a face template among a community's enrolled templates.

The gate asks "who is this?" against every resident of one community. The templates of
that community live in one float32 matrix in memory; a query is one matrix-vector
product with precomputed squared norms plus an ``argpartition``, which stays in the low
milliseconds at 100,000 templates (bench/faces.py).

Concurrency: reads never lock. Every change builds a new immutable snapshot (matrix,
norms, owners) under a writer lock and swaps it in with one reference assignment, so a
search always sees one consistent state, and an enrollment change costs one copy of
the matrix, which is rare next to searches.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: A face template: one embedding vector (128 floats for the Dlib model).
Template = NDArray[np.float32]
#: Whatever the caller identifies a person with (a database id, usually).
PersonId = Hashable

#: Templates kept per person: a few photos cover glasses, beard, light.
MAX_TEMPLATES_PER_PERSON = 3


class DenialReason(StrEnum):
    """Why a face at the gate does not open it."""

    NO_MATCH = "no_match"  # nobody enrolled is close enough
    AMBIGUOUS = "ambiguous"  # close to someone, but another person is about as close


@dataclass(frozen=True, slots=True)
class Match:
    """The closest template of one person and its distance to the query."""

    person_id: PersonId
    distance: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The best and the second-best *distinct* persons for a query."""

    best: Match | None
    second: Match | None


@dataclass(frozen=True, slots=True)
class Decision:
    """Open or not, who, and why not."""

    granted: bool
    person_id: PersonId | None
    distance: float | None
    second_distance: float | None
    reason: DenialReason | None


def decide(result: SearchResult, threshold: float, margin: float) -> Decision:
    """Grant only on a close match that no other person comes near.

    The margin guards against look-alikes and relatives: when two enrolled persons are
    both within reach, opening for the nearer one is a coin toss, so the gate refuses
    and the person uses a code instead.
    """
    best, second = result.best, result.second
    second_d = second.distance if second else None
    if best is None or best.distance > threshold:
        return Decision(
            False, None, best.distance if best else None, second_d, DenialReason.NO_MATCH
        )
    if second is not None and second.distance - best.distance < margin:
        return Decision(False, None, best.distance, second_d, DenialReason.AMBIGUOUS)
    return Decision(True, best.person_id, best.distance, second_d, None)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    matrix: NDArray[np.float32]  # (n, dim), C-contiguous
    sq_norms: NDArray[np.float32]  # (n,)
    owners: tuple[PersonId, ...]  # row -> person
    rows: dict[PersonId, int]  # person -> number of rows, for k and membership
    max_rows: int  # most rows any one person has


def _empty(dim: int) -> _Snapshot:
    return _Snapshot(np.zeros((0, dim), np.float32), np.zeros(0, np.float32), (), {}, 0)


class FaceIndex:
    """The enrolled templates of one community, searchable 1:N.

    Thread-safe: any number of threads may search while another replaces or removes a
    person's rows.
    """

    def __init__(self, dim: int = 128, max_per_person: int = MAX_TEMPLATES_PER_PERSON) -> None:
        if dim < 1 or max_per_person < 1:
            raise ValueError("dim and max_per_person must be positive")
        self.dim = dim
        self.max_per_person = max_per_person
        self._write = threading.Lock()
        self._snap = _empty(dim)

    # -- reading -------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of templates (rows)."""
        return len(self._snap.owners)

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._snap.rows

    @property
    def persons(self) -> int:
        """Number of distinct persons."""
        return len(self._snap.rows)

    def search(self, template: ArrayLike) -> SearchResult:
        """The nearest person and the nearest *other* person, by Euclidean distance."""
        snap = self._snap  # one read: the rest of the call works on this state
        q = self._vector(template)
        n = len(snap.owners)
        if n == 0:
            return SearchResult(None, None)
        # ||m - q||^2 = ||m||^2 - 2 m.q + ||q||^2; ||q||^2 is the same for every row, so
        # it is left out of the ranking.
        d2 = snap.matrix @ q
        d2 *= -2.0
        d2 += snap.sq_norms
        # One person owns at most max_rows rows, so the max_rows + 1 nearest rows always
        # include a second person when there is one.
        k = min(n, snap.max_rows + 1)
        top = np.argpartition(d2, k - 1)[:k] if k < n else np.arange(n)
        # The expanded form loses precision to cancellation in float32; the few rows
        # kept get their distance computed directly, and are ranked by that.
        exact = np.linalg.norm(snap.matrix[top] - q, axis=1)
        order = np.argsort(exact, kind="stable")
        best: Match | None = None
        for i in order:
            person = snap.owners[int(top[i])]
            if best is None:
                best = Match(person, float(exact[i]))
            elif person != best.person_id:
                return SearchResult(best, Match(person, float(exact[i])))
        return SearchResult(best, None)

    def identify(self, template: ArrayLike, threshold: float, margin: float) -> Decision:
        """:meth:`search` then :func:`decide`."""
        return decide(self.search(template), threshold, margin)

    # -- writing -------------------------------------------------------------------
    def load(self, rows: Iterable[tuple[PersonId, ArrayLike]]) -> None:
        """Replace the whole index, e.g. at start-up from the database."""
        owners: list[PersonId] = []
        vectors: list[Template] = []
        counts: dict[PersonId, int] = {}
        for person_id, template in rows:
            counts[person_id] = counts.get(person_id, 0) + 1
            if counts[person_id] > self.max_per_person:
                raise ValueError(f"more than {self.max_per_person} templates for a person")
            owners.append(person_id)
            vectors.append(self._vector(template))
        matrix = np.stack(vectors) if vectors else np.zeros((0, self.dim), np.float32)
        with self._write:
            self._snap = self._build(matrix, tuple(owners))

    def replace_person(self, person_id: PersonId, templates: Sequence[ArrayLike]) -> None:
        """Set a person's templates (enrollment, re-enrollment). Empty removes them."""
        if len(templates) > self.max_per_person:
            raise ValueError(f"at most {self.max_per_person} templates per person")
        new = [self._vector(t) for t in templates]
        with self._write:
            self._replace_locked(person_id, new)

    def remove_person(self, person_id: PersonId) -> bool:
        """Forget a person (deletion on request, move-out). True if they were there."""
        with self._write:
            if person_id not in self._snap.rows:
                return False
            self._replace_locked(person_id, [])
            return True

    def clear(self) -> None:
        """Drop every template."""
        with self._write:
            self._snap = _empty(self.dim)

    # -- internals -----------------------------------------------------------------
    def _vector(self, template: ArrayLike) -> Template:
        v = np.asarray(template, dtype=np.float32)
        if v.shape != (self.dim,):
            raise ValueError(f"a template has shape ({self.dim},), got {v.shape}")
        if not np.isfinite(v).all():
            raise ValueError("a template must be finite")
        return v

    def _replace_locked(self, person_id: PersonId, new: list[Template]) -> None:
        snap = self._snap
        keep = np.fromiter((o != person_id for o in snap.owners), bool, len(snap.owners))
        owners = tuple(o for o in snap.owners if o != person_id) + (person_id,) * len(new)
        parts = [snap.matrix[keep]]
        if new:
            parts.append(np.stack(new))
        self._snap = self._build(np.concatenate(parts), owners)

    def _build(self, matrix: NDArray[np.float32], owners: tuple[PersonId, ...]) -> _Snapshot:
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        matrix.setflags(write=False)
        sq = np.einsum("ij,ij->i", matrix, matrix).astype(np.float32)
        rows: dict[PersonId, int] = {}
        for o in owners:
            rows[o] = rows.get(o, 0) + 1
        return _Snapshot(matrix, sq, owners, rows, max(rows.values(), default=0))
