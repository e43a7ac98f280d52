"""Sandbox seeding for face access: the demo gates' liveness mode.

The sandbox's gate pane shows the camera one photo (an upload, or one webcam
snapshot); it cannot answer a blink / turn challenge yet. Its gates are therefore set
to liveness ``off`` — the explicit, recorded choice the product requires for that
(``chosen_by`` says it was the sandbox) — so trying face access there still works. A
real deployment's gates stay on ``challenge`` unless a manager chooses otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from access.faces.liveness import LivenessMode
from access.faces.store.liveness import set_gate_policy


async def seed_face_gates(session: AsyncSession, gate_ids: Iterable[int], now: datetime) -> None:
    for gate_id in gate_ids:
        await set_gate_policy(
            session,
            gate_id=gate_id,
            mode=LivenessMode.OFF,
            capable_terminals=[],
            chosen_by="sandbox (photos are shown to the camera)",
            accept_risk=True,
            now=now,
        )
