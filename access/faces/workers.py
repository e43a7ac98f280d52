"""Face templates computed in worker processes, so the process's event loop keeps serving.

The engine holds the GIL for most of the ~0.1 s a template takes (decoding, dlib's
landmarks and chip, the ResNet's Python glue): computed in a thread of the gate API,
it makes every code decision of that process wait behind it (docs/performance.md,
*Capacity*). :class:`ProcessPoolEngine` is a :class:`~access.faces.analysis.FaceEngine`
whose work runs in a small :class:`~concurrent.futures.ProcessPoolExecutor`:

- each worker builds one :class:`~access.faces.engine.DlibDeepFaceEngine` and loads its
  models once, when it starts (``spawn``: nothing of the parent's threads or event
  loop is inherited);
- a photo goes to the worker as bytes; the :class:`~access.faces.analysis.FaceAnalysis`
  comes back (the template and the measurements; for a liveness frame also the 68
  landmarks and a 32x32 thumbnail) — the photo is never kept, here or there;
- :meth:`ProcessPoolEngine.analyze_many` awaits the workers without a thread (the
  face service uses it; a burst's frames go to every worker at once); the blocking
  :class:`~access.faces.analysis.FaceEngine` methods are there for everyone else;
- a worker that dies (killed, out of memory) breaks the pool: the next call builds a
  new one and retries once.

The pool starts on first use (:meth:`ProcessPoolEngine.check_ready`, called by the
face service's warm-up when anyone is enrolled): a deployment without faces runs no
workers. ``COURTYARD_FACE_WORKERS=0`` keeps the engine in the process (tests, the
sandbox).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from access.faces.analysis import FaceAnalysis, FaceEngineNotReady
from access.faces.settings import FaceSettings

_T = TypeVar("_T")

# --- the worker side ---------------------------------------------------------------

_engine: Any = None  # the worker's DlibDeepFaceEngine
_failure: str | None = None  # why it could not load, reported on every call


def _start_worker(settings: FaceSettings) -> None:
    """The pool's initializer: build the engine and load its models, once per worker.

    A failure is kept and reported by each call (an initializer that raises would break
    the pool for good, with no message for the operator)."""
    global _engine, _failure
    from access.faces.engine import DlibDeepFaceEngine

    _engine = DlibDeepFaceEngine(settings)
    try:
        _engine.check_ready()
        if settings.alignment == "chip":
            _engine._landmarks68()  # liveness bursts need them: load now, not on a burst
    except Exception as exc:
        _failure = str(exc)


def _ready() -> int:
    if _failure is not None:
        raise FaceEngineNotReady(_failure)
    return os.getpid()


def _analyze(image: bytes, frame: bool) -> FaceAnalysis:
    _ready()
    result: FaceAnalysis = _engine.analyze_frame(image) if frame else _engine.analyze(image)
    return result


# --- the parent side ---------------------------------------------------------------


class ProcessPoolEngine:
    """A :class:`~access.faces.analysis.FaceEngine` computing in ``workers`` processes."""

    def __init__(self, settings: FaceSettings, workers: int) -> None:
        if workers < 1:
            raise ValueError("a process pool needs at least one worker")
        self._settings = settings
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> FaceSettings:
        return self._settings

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._settings,),
                )
            return self._pool

    def _drop(self, pool: ProcessPoolExecutor, attempt: int) -> None:
        """A worker died: drop this pool (if nobody did already); the caller retries once."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
        if attempt == 2:
            raise FaceEngineNotReady("the face worker processes keep dying") from None

    def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return pool.submit(fn, *args).result()
            except BrokenProcessPool:
                self._drop(pool, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def analyze_many(self, images: Sequence[bytes], *, frame: bool) -> list[FaceAnalysis]:
        """Every image at once across the workers, awaited without blocking a thread."""
        for attempt in (1, 2):
            pool = self._executor()
            try:
                futures = [asyncio.wrap_future(pool.submit(_analyze, i, frame)) for i in images]
                return list(await asyncio.gather(*futures))
            except BrokenProcessPool:
                self._drop(pool, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def check_ready(self) -> None:
        """Start the workers (each loads the models) and wait until one answers."""
        # One call per worker, at once: the pool spawns them all now, not on first faces.
        pool = self._executor()
        futures = [pool.submit(_ready) for _ in range(self.workers)]
        for future in futures:
            try:
                future.result()
            except BrokenProcessPool:
                self._call(_ready)  # rebuilds the pool once; raises if it dies again

    def analyze(self, image_bytes: bytes) -> FaceAnalysis:
        return self._call(_analyze, image_bytes, False)

    def analyze_frame(self, image_bytes: bytes) -> FaceAnalysis:
        return self._call(_analyze, image_bytes, True)

    def worker_pids(self) -> list[int]:
        """The workers' process ids (for CPU readings and tests)."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
