"""Fixtures for face access around the engine: one engine per session (models load once),
the committed photos, a community with residents, and the process's face service.

The engine is the one the application itself builds (``engine_for`` caches one per
configuration), so the running bot in the end-to-end tests reuses it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from access.faces import DlibDeepFaceEngine, FaceSettings
from access.faces.service import engine_for
from core.models import Community, Person, Residency, ResidencyRole, Unit
from tests.factories import make_community, make_person, make_resident, make_unit

IMAGES = Path(__file__).resolve().parents[1] / "faces" / "images"
# A Wednesday, 10:00 in Shanghai.
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def photo(name: str) -> bytes:
    """The bytes of a committed photo (tests/faces/images)."""
    return (IMAGES / name).read_bytes()


@pytest.fixture(scope="session")
def face_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DEEPFACE_HOME for the whole session: provisioned offline on first use."""
    return tmp_path_factory.mktemp("faces_chat_home")


@pytest.fixture(scope="session")
def face_engine(face_home: Path) -> DlibDeepFaceEngine:
    engine = engine_for(FaceSettings(deepface_home=face_home))
    engine.check_ready()
    return engine


_templates: dict[str, np.ndarray] = {}


@pytest.fixture(scope="session")
def template_of(face_engine: DlibDeepFaceEngine):
    """A committed photo's template, computed once per session."""

    def get(name: str) -> np.ndarray:
        if name not in _templates:
            analysis = face_engine.analyze(photo(name))
            assert analysis.template is not None, (name, analysis.problem)
            _templates[name] = analysis.template
        return _templates[name]

    return get


@pytest.fixture
def settings(settings, face_home):
    # Telegram's pacing is the sender's business; here it would only make steps wait.
    return settings.model_copy(
        update={
            "face_deepface_home": face_home,
            "send_interval_private_s": 0.01,
            "send_per_minute_group": 100_000,
        }
    )


@dataclass
class Home:
    community: Community
    unit: Unit
    owner: Person
    owner_residency: Residency
    child: Person  # a family member without Telegram
    other_unit: Unit
    neighbour: Person


@pytest.fixture
async def home(session) -> Home:
    community = await make_community(
        session, "Sunny Garden", admin_chat_id=-1001000000088, is_forum=False, locale="en"
    )
    unit = await make_unit(session, community, "3栋", "1201")
    owner, owner_res = await make_resident(session, unit, 501, "Wang Xiaoming", locale="en")
    child = await make_person(session, None, "Wang Xiaobao", locale="en", phone=None)
    child.telegram_id = None
    session.add(
        Residency(
            person_id=child.id,
            unit_id=unit.id,
            role=ResidencyRole.FAMILY,
            status=owner_res.status,
            start_date=owner_res.start_date,
            decided_at=owner_res.decided_at,
        )
    )
    other = await make_unit(session, community, "5栋", "0302")
    neighbour, _ = await make_resident(session, other, 502, "Li Lei", locale="en")
    await session.commit()
    return Home(community, unit, owner, owner_res, child, other, neighbour)


@pytest.fixture
async def runtime(database_url, settings) -> AsyncIterator[object]:
    """The gate runtime with the face service attached, as the application builds it."""
    from access.faces.service import FaceService
    from access.service import AccessRuntime
    from bot.services import face_settings
    from core.clock import FrozenClock
    from tests.conftest import TEST_SECRET

    rt = AccessRuntime(database_url=database_url, secret_key=TEST_SECRET, clock=FrozenClock(START))
    rt.faces = FaceService(
        runner=rt.runner, secret_key=TEST_SECRET, settings=face_settings(settings)
    )
    try:
        yield rt
    finally:
        await rt.close()


async def liveness_off(session, gate_id: int) -> None:
    """Single still frames open this gate (the tests of matching, not of liveness)."""
    from access.faces.liveness import LivenessMode
    from access.faces.store.liveness import set_gate_policy

    await set_gate_policy(
        session,
        gate_id=gate_id,
        mode=LivenessMode.OFF,
        capable_terminals=[],
        chosen_by="test",
        accept_risk=True,
        now=START,
    )
