"""Sandbox seeding for face access: the demo gates' liveness modes.

The pedestrian gate keeps the default, ``challenge``: a photo is not enough there, the
gate pane's webcam "blink / turn test" answers it. The vehicle gate is set to liveness
``off`` — the explicit, recorded choice the product requires for that (``chosen_by``
says it was the sandbox) — so an uploaded photo can still be tried there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.liveness import LivenessMode
from access.faces.store.liveness import set_gate_policy
from access.models import GateKind


async def seed_face_gates(
    session: AsyncSession, gates: Iterable[tuple[int, str]], now: datetime
) -> None:
    """``gates``: (id, kind) of the demo gates."""
    for gate_id, kind in gates:
        if kind == GateKind.PEDESTRIAN.value:
            continue
        await set_gate_policy(
            session,
            gate_id=gate_id,
            mode=LivenessMode.OFF,
            capable_terminals=[],
            chosen_by="sandbox (uploaded photos can be tried at this gate)",
            accept_risk=True,
            now=now,
        )
