"""The face engine in worker processes (access/faces/workers.py): the same analysis as
in the process, a worker that dies is replaced, and a worker that cannot load the
model says why instead of breaking the pool."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest

from access.faces import DlibDeepFaceEngine, FaceEngineNotReady, FaceSettings
from access.faces.workers import ProcessPoolEngine
from tests.faces.conftest import photo


def test_a_worker_gives_the_in_process_analysis_and_is_replaced_when_it_dies(
    engine: DlibDeepFaceEngine, deepface_home: Path
) -> None:
    pool = ProcessPoolEngine(FaceSettings(deepface_home=deepface_home), 1)
    try:
        pool.check_ready()
        (first,) = pool.worker_pids()
        assert first != os.getpid()
        here = engine.analyze(photo("obama_podium.jpg"))
        there = pool.analyze(photo("obama_podium.jpg"))
        assert there.template is not None and here.template is not None
        np.testing.assert_allclose(there.template, here.template, atol=1e-5)
        assert there.box == here.box
        frame = pool.analyze_frame(photo("obama_podium.jpg"))
        assert frame.landmarks is not None and frame.landmarks.shape == (68, 2)

        os.kill(first, signal.SIGKILL)  # out of memory, killed by hand, …
        again = pool.analyze(photo("biden.jpg"))
        assert again.template is not None
        assert pool.worker_pids() and first not in pool.worker_pids()
    finally:
        pool.close()


def test_a_worker_without_weights_says_what_is_missing(tmp_path: Path) -> None:
    settings = FaceSettings(deepface_home=tmp_path, auto_provision=False)
    pool = ProcessPoolEngine(settings, 1)
    try:
        with pytest.raises(FaceEngineNotReady, match="weights are missing"):
            pool.check_ready()
        with pytest.raises(FaceEngineNotReady, match="courtyard faces setup"):
            pool.analyze(photo("obama_podium.jpg"))
    finally:
        pool.close()


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        ProcessPoolEngine(FaceSettings(), 0)
