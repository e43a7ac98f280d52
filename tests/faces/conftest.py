"""Fixtures for the face tests: the committed photos and one engine per session.

The engine is built on a fresh, empty DEEPFACE_HOME, so every run also proves that the
weights are provisioned from the installed package with no network at all: outbound
connections are refused for the whole faces suite.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from access.faces import DlibDeepFaceEngine, FaceAnalysis, FaceSettings

IMAGES = Path(__file__).parent / "images"

#: Acceptable photos by person; every one must yield a template.
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


def photo(name: str) -> bytes:
    """The bytes of a committed photo."""
    return (IMAGES / name).read_bytes()


def jpeg(img: Image.Image, **params: object) -> bytes:
    """Encode a PIL image as JPEG bytes, in memory."""
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **params)
    return buf.getvalue()


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        raise AssertionError(f"the face engine tried to connect to {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to reach the network (e.g. a weight download)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def deepface_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty DEEPFACE_HOME: nothing provisioned yet."""
    return tmp_path_factory.mktemp("deepface_home")


@pytest.fixture(scope="session")
def engine(deepface_home: Path) -> Iterator[DlibDeepFaceEngine]:
    """The default engine (Dlib model, dlib chips), ready."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _guarded_connect)
        eng = DlibDeepFaceEngine(FaceSettings(deepface_home=deepface_home))
        eng.check_ready()
    yield eng


@pytest.fixture(scope="session")
def analyses(engine: DlibDeepFaceEngine) -> dict[str, FaceAnalysis]:
    """Every committed photo analysed once."""
    return {p.name: engine.analyze(p.read_bytes()) for p in sorted(IMAGES.glob("*.jpg"))}


@pytest.fixture(scope="session")
def templates(analyses: dict[str, FaceAnalysis]) -> dict[str, np.ndarray]:
    """Templates of the acceptable photos, by file name."""
    out = {}
    for names in PEOPLE.values():
        for name in names:
            tpl = analyses[name].template
            assert tpl is not None, f"{name}: {analyses[name].problem}"
            out[name] = tpl
    return out
