"""The face engine's contract: what one photo gives (:class:`FaceAnalysis`), what the
enrollment conversation and the gate need from an engine (:class:`FaceEngine`), and
:func:`analyze_async` to run one off the event loop. The implementation is
:class:`access.faces.engine.DlibDeepFaceEngine`; tests substitute their own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from access.faces.index import Template
from access.faces.quality import (
    FaceProblem,
)
from access.faces.settings import FaceSettings


class FaceEngineNotReady(RuntimeError):
    """The engine cannot run as configured; the message says what to do."""


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face rectangle, in pixels of the upright photo as it was sent."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class FaceAnalysis:
    """What one photo gave: a template, or the problem to fix; plus measurements."""

    template: Template | None = None
    problem: FaceProblem | None = None
    box: FaceBox | None = None
    faces: int = 0
    face_px: int | None = None
    brightness: float | None = None
    sharpness: float | None = None
    #: Only from :meth:`FaceEngine.analyze_frame`: the 68 landmarks (pixels of the
    #: decoded frame) and a 32x32 grey thumbnail of the face, for liveness checks.
    landmarks: NDArray[np.float64] | None = None
    thumb: NDArray[np.float32] | None = None

    @property
    def ok(self) -> bool:
        return self.template is not None


class FaceEngine(Protocol):
    """What the enrollment conversation and the gate need from a face engine."""

    @property
    def settings(self) -> FaceSettings: ...

    def check_ready(self) -> None:
        """Load everything now; raise :class:`FaceEngineNotReady` with the fix if not."""
        ...

    def analyze(self, image_bytes: bytes) -> FaceAnalysis:
        """Blocking: run it in a thread (:func:`analyze_async`) from async code."""
        ...

    def analyze_frame(self, image_bytes: bytes) -> FaceAnalysis:
        """:meth:`analyze` plus the 68 landmarks and a thumbnail (liveness bursts)."""
        ...


async def analyze_async(engine: FaceEngine, image_bytes: bytes) -> FaceAnalysis:
    """Run ``engine.analyze`` in a worker thread so the event loop keeps serving."""
    return await asyncio.to_thread(engine.analyze, image_bytes)


async def analyze_frames_async(engine: FaceEngine, frames: list[bytes]) -> list[FaceAnalysis]:
    """``engine.analyze_frame`` on each frame of a burst, in one worker thread."""
    return await asyncio.to_thread(lambda: [engine.analyze_frame(f) for f in frames])
