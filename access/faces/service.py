"""Face access at run time: one :class:`FaceService` per process.

It owns the engine (shared per configuration, models load once), the per-community
indexes (:mod:`access.faces.registry`) and the gate's face decision:

1. pre-check (one read): the community's template counter, whether the gate is on
   hold after repeated failures (:mod:`access.faces.gate`) — then the answer is
   ``use_code`` and the image is not examined — and the gate's liveness mode;
2. liveness (:mod:`access.faces.liveness`): in mode ``challenge`` the burst of frames
   must answer a challenge issued by :meth:`FaceService.challenge` (redeemed once),
   show one person throughout and the action asked; in mode ``terminal`` only a
   registered liveness-capable terminal's ``passed`` counts; otherwise
   ``liveness_failed``;
3. the template, computed in a worker thread (the event loop keeps serving) — with
   ``workers`` > 0 in that many worker processes (:mod:`access.faces.workers`), so
   the engine does not hold this process's GIL while code decisions wait;
4. the 1:N search in the community's index, rebuilt first if the counter moved: granted
   only when the nearest person is within the threshold *and* the nearest other person
   is at least the margin farther (:func:`access.faces.index.decide`);
5. the decision proper through :meth:`access.service.AccessRuntime.verify` — emergency
   mode, disabled gates, the resident check, the access log row (method ``face``; no
   image is kept), the door.

The chat side calls :meth:`analyze` for enrollment photos and :meth:`changed` after
committing a change, so this process's index follows at once; other processes follow on
their next decision or poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from numpy.typing import ArrayLike

from access.faces import gate as _gate  # registers the FACE resolver
from access.faces.analysis import analyze_frames_async
from access.faces.engine import DlibDeepFaceEngine, FaceAnalysis, FaceEngine, analyze_async
from access.faces.index import MAX_TEMPLATES_PER_PERSON, DenialReason, FaceIndex
from access.faces.index import Decision as MatchDecision
from access.faces.liveness import (
    MAX_FRAMES,
    Frame,
    LivenessMode,
    LivenessProblem,
    check_burst,
    most_frontal,
)
from access.faces.pose import PoseProblem, pose_problem
from access.faces.quality import FaceProblem
from access.faces.registry import FaceIndexes, RunnerSource
from access.faces.settings import FaceSettings
from access.faces.store import communities_with_templates_tx
from access.faces.store.liveness import Challenge, issue_challenge_tx, redeem_challenge_tx
from access.faces.workers import ProcessPoolEngine
from access.runner import TxRunner
from access.verification import Credential, Decision, Direction, Reason

if TYPE_CHECKING:
    from access.gates import GateInfo
    from access.service import AccessRuntime

log = logging.getLogger(__name__)

FaceGatePolicy = _gate.FaceGatePolicy

_engines: dict[FaceSettings, DlibDeepFaceEngine] = {}
_engines_lock = threading.Lock()


def engine_for(settings: FaceSettings) -> DlibDeepFaceEngine:
    """The process's engine for this configuration (models are large: load them once)."""
    with _engines_lock:
        engine = _engines.get(settings)
        if engine is None:
            engine = _engines[settings] = DlibDeepFaceEngine(settings)
        return engine


@dataclass(frozen=True)
class FaceVerdict:
    decision: Decision
    #: With reason ``face_unusable``: what is wrong with the image.
    problem: FaceProblem | None = None
    #: With reason ``liveness_failed``: why the face was not shown to be live.
    liveness: LivenessProblem | None = None


_DENIAL = {DenialReason.NO_MATCH: Reason.NO_MATCH, DenialReason.AMBIGUOUS: Reason.AMBIGUOUS}


class FaceService:
    def __init__(
        self,
        *,
        runner: TxRunner,
        secret_key: str,
        settings: FaceSettings,
        engine: FaceEngine | None = None,
        policy: FaceGatePolicy | None = None,
        poll_s: float = 3.0,
        workers: int = 0,
    ) -> None:
        self.runner = runner
        self.secret_key = secret_key
        self.settings = settings
        #: The worker processes this service started (and stops on :meth:`close`).
        self.pool = ProcessPoolEngine(settings, workers) if engine is None and workers else None
        self.engine: FaceEngine = engine or self.pool or engine_for(settings)
        self.policy = policy or FaceGatePolicy()
        self.poll_s = poll_s
        self.indexes = FaceIndexes(RunnerSource(runner), secret_key, settings.model_name)
        self.threshold = settings.match_threshold
        self.margin = settings.match_margin
        self.lookalike_guard = settings.match_lookalike_guard
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def model(self) -> str:
        return self.settings.model_name

    # The enrollment chat reads its limits here instead of repeating them.

    @property
    def max_photos(self) -> int:
        """Photos (templates) one person may enroll; the store refuses more."""
        return MAX_TEMPLATES_PER_PERSON

    @property
    def max_image_bytes(self) -> int:
        """The largest photo the engine accepts; check a file's size before downloading."""
        return self.settings.max_image_bytes

    # --- the photo ---------------------------------------------------------------------

    async def analyze(self, image: bytes) -> FaceAnalysis:
        """Check one photo and compute its template, in a worker thread.

        Raises :class:`~access.faces.engine.FaceEngineNotReady` when the engine cannot
        run (weights missing and not provisionable).
        """
        if self.pool is not None:
            return (await self.pool.analyze_many([image], frame=False))[0]
        return await analyze_async(self.engine, image)

    async def _frames(self, images: Sequence[bytes]) -> list[FaceAnalysis]:
        """``analyze_frame`` of each image: across the worker processes, or in a thread."""
        if self.pool is not None:
            return await self.pool.analyze_many(images, frame=True)
        return await analyze_frames_async(self.engine, list(images))

    async def analyze_enrollment(
        self, image: bytes, photo: int, previous_side: int = 0
    ) -> tuple[FaceAnalysis, PoseProblem | None, int]:
        """:meth:`analyze` for photo number ``photo`` of an enrollment, plus whether it
        shows the head pose asked for it (:mod:`access.faces.pose`) and its side."""
        analysis = (await self._frames([image]))[0]
        if analysis.template is None or analysis.landmarks is None:
            return analysis, None, 0
        problem, side = pose_problem(analysis.landmarks, photo, previous_side)
        return analysis, problem, side

    # --- the indexes -------------------------------------------------------------------

    async def changed(self, community_id: int) -> None:
        """After committing a change of the community's templates: rebuild now."""
        await self.indexes.reload(community_id)

    async def index(self, community_id: int) -> FaceIndex:
        return await self.indexes.get(community_id)

    async def identify(self, community_id: int, template: ArrayLike) -> MatchDecision:
        index = await self.indexes.get(community_id)
        return index.identify(template, self.threshold, self.margin)

    # --- the gate ----------------------------------------------------------------------

    async def challenge(self, runtime: AccessRuntime, gate: GateInfo) -> Challenge:
        """A random action for the gate's terminal to ask for (mode ``challenge``)."""
        return await self.runner.run(issue_challenge_tx, gate.id, runtime.clock.now())

    async def verify(
        self,
        runtime: AccessRuntime,
        gate: GateInfo,
        image: bytes | None = None,
        *,
        frames: Sequence[bytes] = (),
        challenge: str | None = None,
        liveness: str | None = None,
        direction: Direction = Direction.IN,
        terminal: str | None = None,
    ) -> FaceVerdict:
        """Decide on a face at ``gate`` (see the module doc): one ``image``, or a burst of
        ``frames`` answering ``challenge``; ``liveness`` is a terminal's own verdict."""
        burst = [image] if image is not None else []
        burst += list(frames)

        async def decide(
            credential: Credential,
            problem: FaceProblem | None = None,
            live: LivenessProblem | None = None,
        ) -> FaceVerdict:
            decision = await runtime.verify(
                gate, credential, direction=direction, terminal=terminal
            )
            return FaceVerdict(decision, problem, live)

        async def not_live(why: LivenessProblem) -> FaceVerdict:
            return await decide(Credential.face(None, Reason.LIVENESS_FAILED), live=why)

        if not gate.active or gate.emergency:
            # The decision does not depend on whose face it is.
            return await decide(Credential.face(None, Reason.NO_MATCH))
        now = runtime.clock.now()
        pre = await self.runner.run(
            _gate.precheck_tx, gate.id, gate.community_id, now, self.policy, readonly=True
        )
        if pre.fallback:
            return await decide(Credential.face(None, Reason.USE_CODE))
        mode = pre.liveness.mode
        if mode == LivenessMode.CHALLENGE:
            if challenge is None or len(burst) < 2:
                return await not_live(LivenessProblem.CHALLENGE_REQUIRED)
            if len(burst) > MAX_FRAMES:
                burst = burst[:MAX_FRAMES]
            action = await self.runner.run(redeem_challenge_tx, gate.id, challenge, now)
            if action is None:
                return await not_live(LivenessProblem.CHALLENGE_INVALID)
            analyses = await self._frames(burst)
            live_frames: list[Frame] = []
            for a in analyses:
                if a.template is None or a.landmarks is None or a.thumb is None:
                    return await not_live(LivenessProblem.FACE_LOST)
                live_frames.append(Frame(a.landmarks, a.template, a.thumb))
            why = check_burst(action, live_frames, self.threshold)
            if why is not None:
                return await not_live(why)
            template = most_frontal(live_frames).template
        else:
            if mode == LivenessMode.TERMINAL and (
                liveness != "passed" or terminal not in pre.liveness.capable_terminals
            ):
                # A verdict from a terminal not registered as liveness-capable is ignored.
                return await not_live(LivenessProblem.TERMINAL_NOT_CAPABLE)
            if not burst:
                return await not_live(LivenessProblem.FACE_LOST)
            analysis = await self.analyze(burst[0])
            if analysis.template is None:
                # Also a frame that does not decode: it counts as a failed face, like a blur.
                problem = analysis.problem or FaceProblem.NO_FACE
                return await decide(Credential.face(None, Reason.FACE_UNUSABLE), problem)
            template = analysis.template
        index = await self.indexes.get(gate.community_id, pre.version)
        match = index.identify(template, self.threshold, self.margin)
        if match.granted:
            assert isinstance(match.person_id, int)
            return await decide(Credential.face(match.person_id))
        assert match.reason is not None
        return await decide(Credential.face(None, _DENIAL[match.reason]))

    # --- background: warm-up and polling ----------------------------------------------

    def start(self) -> None:
        """Start the poll loop (idempotent); needs a running event loop."""
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="faces.poll")

    async def warm_up(self) -> list[int]:
        """Load the engine and every community's index when anyone is enrolled; returns
        the communities loaded. Nothing is loaded on a deployment without faces."""
        communities = await self.runner.run(
            communities_with_templates_tx, self.model, readonly=True
        )
        if not communities:
            return []
        await asyncio.to_thread(self.engine.check_ready)
        for community_id in communities:
            await self.indexes.get(community_id)
        return communities

    async def _run(self) -> None:
        try:
            await self.warm_up()
        except asyncio.CancelledError:
            raise
        except Exception:
            # The gate still works: the engine and indexes then load on first use, and
            # that failure is reported to whoever asks.
            log.exception("face engine warm-up failed")
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.indexes.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("face index sync failed")

    async def close(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        pool, self.pool = self.pool, None
        if pool is not None:
            await asyncio.to_thread(pool.close)
