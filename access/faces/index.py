"""1:N search of a face template among a community's enrolled templates.

The gate asks "who is this?" against every resident of one community. The templates of
that community live in one float32 matrix in memory; a query is one matrix-vector
product with precomputed squared norms plus an ``argpartition``: well under a
millisecond at 10,000 templates, a few at 100,000 (bench/faces.py).

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
    matrix: NDArray[np.float32]  # (n, dim), C-contiguous, read-only
    sq_norms: NDArray[np.float32]  # (n,)
    codes: NDArray[np.int64]  # row -> person code (an index into FaceIndex._persons)
    counts: dict[PersonId, int]  # person -> number of rows


def _empty(dim: int) -> _Snapshot:
    return _Snapshot(
        np.zeros((0, dim), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), {}
    )


class FaceIndex:
    """The enrolled templates of one community, searchable 1:N.

    Thread-safe: any number of threads may search while another replaces or removes a
    person's rows. Person ids map to small integer codes so that every change is a few
    vectorised numpy operations, not a Python loop over all rows.
    """

    def __init__(self, dim: int = 128, max_per_person: int = MAX_TEMPLATES_PER_PERSON) -> None:
        if dim < 1 or max_per_person < 1:
            raise ValueError("dim and max_per_person must be positive")
        self.dim = dim
        self.max_per_person = max_per_person
        self._write = threading.Lock()
        # Append-only under the writer lock: a code, once handed out, always names the
        # same person, so a snapshot never sees an entry change under it.
        self._persons: list[PersonId] = []
        self._codes: dict[PersonId, int] = {}
        self._snap = _empty(dim)

    # -- reading -------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of templates (rows)."""
        return int(self._snap.codes.shape[0])

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._snap.counts

    @property
    def persons(self) -> int:
        """Number of distinct persons."""
        return len(self._snap.counts)

    def search(self, template: ArrayLike) -> SearchResult:
        """The nearest person and the nearest *other* person, by Euclidean distance."""
        snap = self._snap  # one read: the rest of the call works on this state
        q = self._vector(template)
        n = int(snap.codes.shape[0])
        if n == 0:
            return SearchResult(None, None)
        # ||m - q||^2 = ||m||^2 - 2 m.q + ||q||^2; ||q||^2 is the same for every row, so
        # it is left out of the ranking.
        # einsum, not ``matrix @ q``: matmul hands a matrix-vector product to
        # multi-threaded BLAS, whose threads wait on each other as soon as the cores are
        # busy with anything else (measured on 2 cores under load: 13 ms instead of
        # 0.2 ms at 10k rows). einsum's single-threaded SIMD loop is steady.
        d2 = np.einsum("ij,j->i", snap.matrix, q)
        d2 *= -2.0
        d2 += snap.sq_norms
        # One person owns at most max_per_person rows, so the max_per_person + 1
        # nearest rows always include a second person when there is one.
        k = min(n, self.max_per_person + 1)
        top = np.argpartition(d2, k - 1)[:k] if k < n else np.arange(n)
        # The expanded form loses precision to cancellation in float32; the few rows
        # kept get their distance computed directly, and are ranked by that.
        exact = np.linalg.norm(snap.matrix[top] - q, axis=1)
        best: Match | None = None
        for i in np.argsort(exact, kind="stable"):
            person = self._persons[int(snap.codes[top[i]])]
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
        persons: list[PersonId] = []
        codes_of: dict[PersonId, int] = {}
        counts: dict[PersonId, int] = {}
        codes: list[int] = []
        vectors: list[Template] = []
        for person_id, template in rows:
            counts[person_id] = counts.get(person_id, 0) + 1
            if counts[person_id] > self.max_per_person:
                raise ValueError(f"more than {self.max_per_person} templates for a person")
            if person_id not in codes_of:
                codes_of[person_id] = len(persons)
                persons.append(person_id)
            codes.append(codes_of[person_id])
            vectors.append(self._vector(template))
        matrix = np.stack(vectors) if vectors else np.zeros((0, self.dim), np.float32)
        snap = self._snapshot(matrix, np.asarray(codes, np.int64), counts)
        with self._write:
            # Fresh code table: this is also where codes of departed persons are dropped.
            self._persons, self._codes, self._snap = persons, codes_of, snap

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
            if person_id not in self._snap.counts:
                return False
            self._replace_locked(person_id, [])
            return True

    def clear(self) -> None:
        """Drop every template."""
        with self._write:
            self._persons, self._codes, self._snap = [], {}, _empty(self.dim)

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
        code = self._codes.get(person_id)
        if code is None:
            if not new:
                return
            code = self._codes[person_id] = len(self._persons)
            self._persons.append(person_id)
        keep = snap.codes != code
        matrix, sq, codes = snap.matrix[keep], snap.sq_norms[keep], snap.codes[keep]
        counts = dict(snap.counts)
        counts.pop(person_id, None)
        if new:
            added = np.stack(new)
            matrix = np.concatenate([matrix, added])
            sq = np.concatenate([sq, _sq_norms(added)])
            codes = np.concatenate([codes, np.full(len(new), code, np.int64)])
            counts[person_id] = len(new)
        matrix.setflags(write=False)
        self._snap = _Snapshot(matrix, sq, codes, counts)

    @staticmethod
    def _snapshot(
        matrix: NDArray[np.float32], codes: NDArray[np.int64], counts: dict[PersonId, int]
    ) -> _Snapshot:
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        matrix.setflags(write=False)
        return _Snapshot(matrix, _sq_norms(matrix), codes, counts)


def _sq_norms(matrix: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.einsum("ij,ij->i", matrix, matrix).astype(np.float32)
