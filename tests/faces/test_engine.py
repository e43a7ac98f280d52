"""The engine on real photos: who matches, who does not, and what is refused why."""

from __future__ import annotations

import io
import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from access.faces import (
    DlibDeepFaceEngine,
    FaceAnalysis,
    FaceProblem,
    FaceSettings,
    analyze_async,
)
from tests.faces.conftest import PEOPLE, jpeg, photo

pytestmark = pytest.mark.faces


def _pairs(same: bool) -> list[tuple[str, str]]:
    owner = {name: who for who, names in PEOPLE.items() for name in names}
    return [
        (a, b)
        for a, b in itertools.combinations(sorted(owner), 2)
        if (owner[a] == owner[b]) == same
    ]


def test_templates_are_128_float32(templates: dict[str, np.ndarray]) -> None:
    for name, tpl in templates.items():
        assert tpl.shape == (128,) and tpl.dtype == np.float32, name
        assert np.isfinite(tpl).all()


def test_same_person_matches(engine: DlibDeepFaceEngine, templates: dict[str, np.ndarray]) -> None:
    threshold = engine.settings.match_threshold
    for a, b in _pairs(same=True):
        d = float(np.linalg.norm(templates[a] - templates[b]))
        assert d <= threshold, f"{a} vs {b}: {d:.3f} > {threshold}"


def test_different_people_do_not_match(
    engine: DlibDeepFaceEngine, templates: dict[str, np.ndarray]
) -> None:
    # Not merely over the threshold: clear of it by more than the margin.
    limit = engine.settings.match_threshold + engine.settings.match_margin
    for a, b in _pairs(same=False):
        d = float(np.linalg.norm(templates[a] - templates[b]))
        assert d > limit, f"{a} vs {b}: {d:.3f} <= {limit}"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("no_face.jpg", FaceProblem.NO_FACE),
        ("two_faces.jpg", FaceProblem.MULTIPLE_FACES),
        ("dark.jpg", FaceProblem.TOO_DARK),
        ("small_face.jpg", FaceProblem.FACE_TOO_SMALL),
        ("blurred.jpg", FaceProblem.TOO_BLURRY),
    ],
)
def test_bad_photo_is_refused_with_its_reason(
    analyses: dict[str, FaceAnalysis], name: str, problem: FaceProblem
) -> None:
    result = analyses[name]
    assert result.problem is problem
    assert result.template is None and not result.ok


def test_refusals_carry_what_was_measured(analyses: dict[str, FaceAnalysis]) -> None:
    assert analyses["two_faces.jpg"].faces == 2
    small = analyses["small_face.jpg"]
    assert small.face_px is not None and small.face_px < 80 and small.box is not None
    assert (analyses["dark.jpg"].brightness or 0) < 40
    assert (analyses["blurred.jpg"].sharpness or 1e9) < 30


def test_overexposed_face_is_too_bright(engine: DlibDeepFaceEngine) -> None:
    img = Image.open(io.BytesIO(photo("obama_portrait.jpg")))
    result = engine.analyze(jpeg(ImageEnhance.Brightness(img).enhance(2.4)))
    assert result.problem is FaceProblem.TOO_BRIGHT


def test_false_detection_on_a_suit_patch_is_not_a_second_face(
    analyses: dict[str, FaceAnalysis],
) -> None:
    # dlib's HOG fires at score ~0 on Collins' mission patch; the score floor drops it.
    assert analyses["collins.jpg"].ok and analyses["collins.jpg"].faces == 1


@pytest.mark.parametrize(
    "data", [b"", b"GIF89a not really", b"%PDF-1.7\n" + b"0" * 100, b"\xff\xd8\xff\xe0broken"]
)
def test_not_an_image(engine: DlibDeepFaceEngine, data: bytes) -> None:
    assert engine.analyze(data).problem is FaceProblem.NOT_AN_IMAGE


def test_too_many_bytes(engine: DlibDeepFaceEngine) -> None:
    strict = DlibDeepFaceEngine(
        FaceSettings(deepface_home=engine.settings.deepface_home, max_image_bytes=10_000)
    )
    assert strict.analyze(photo("obama_portrait.jpg")).problem is FaceProblem.IMAGE_TOO_LARGE


def test_too_many_pixels_is_refused_before_decoding(engine: DlibDeepFaceEngine) -> None:
    # 9000 x 6000 black PNG: a few KB on the wire, 162 MB once decoded.
    buf = io.BytesIO()
    Image.new("L", (9000, 6000)).save(buf, "PNG")
    assert len(buf.getvalue()) < engine.settings.max_image_bytes
    assert engine.analyze(buf.getvalue()).problem is FaceProblem.IMAGE_TOO_LARGE


def test_large_photo_is_downscaled_and_box_is_in_original_pixels(
    engine: DlibDeepFaceEngine, analyses: dict[str, FaceAnalysis]
) -> None:
    img = Image.open(io.BytesIO(photo("obama_portrait.jpg")))
    big = img.resize((img.width * 4, img.height * 4), Image.Resampling.LANCZOS)  # 2400 px
    result = engine.analyze(jpeg(big))
    ref = analyses["obama_portrait.jpg"]
    assert result.ok and ref.box is not None and result.box is not None
    # HOG boxes come in steps, so allow 10% of the face width.
    tol = 0.1 * 4 * ref.box.w
    assert abs(result.box.x - 4 * ref.box.x) < tol and abs(result.box.w - 4 * ref.box.w) < tol
    assert result.template is not None and ref.template is not None
    assert np.linalg.norm(result.template - ref.template) < 0.2


def test_exif_orientation_is_honoured(
    engine: DlibDeepFaceEngine, templates: dict[str, np.ndarray]
) -> None:
    # A phone stores the sensor's pixels sideways plus an "rotate 90° CW" tag (6).
    img = Image.open(io.BytesIO(photo("obama_podium.jpg")))
    sideways = img.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    result = engine.analyze(jpeg(sideways, exif=exif.tobytes()))
    assert result.ok and result.template is not None
    assert np.linalg.norm(result.template - templates["obama_podium.jpg"]) < 0.2


def test_png_with_alpha_is_accepted(engine: DlibDeepFaceEngine) -> None:
    img = Image.open(io.BytesIO(photo("biden_tight.jpg"))).convert("RGBA")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    assert engine.analyze(buf.getvalue()).ok


async def test_analyze_async_runs_in_a_thread(
    engine: DlibDeepFaceEngine, templates: dict[str, np.ndarray]
) -> None:
    result = await analyze_async(engine, photo("collins_crop.jpg"))
    assert result.template is not None
    assert np.allclose(result.template, templates["collins_crop.jpg"], atol=1e-5)


def test_concurrent_analyses_agree(
    engine: DlibDeepFaceEngine, templates: dict[str, np.ndarray]
) -> None:
    names = ["obama_portrait.jpg", "biden.jpg", "collins_crop.jpg", "obama_podium.jpg"] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: engine.analyze(photo(n)), names))
    for name, result in zip(names, results, strict=True):
        assert result.template is not None
        assert np.allclose(result.template, templates[name], atol=1e-5), name


def test_broken_exif_is_not_an_image_or_is_ignored(engine: DlibDeepFaceEngine) -> None:
    # A JPEG whose APP1 segment claims EXIF but holds garbage: either decoded without
    # the orientation or refused, never an exception.
    data = photo("biden_tight.jpg")
    broken = data[:2] + b"\xff\xe1\x00\x10Exif\x00\x00MM\x00*\xff\xff\xff\xff" + data[2:]
    result = engine.analyze(broken)
    assert result.ok or result.problem is FaceProblem.NOT_AN_IMAGE


def test_deepface_alignment_mode_runs_offline(
    engine: DlibDeepFaceEngine, templates: dict[str, np.ndarray]
) -> None:
    # The path a deployment with another model would take: deepface's own detection
    # and crop. Same quality gates, same reason codes.
    alt = DlibDeepFaceEngine(
        FaceSettings(deepface_home=engine.settings.deepface_home, alignment="deepface")
    )
    alt.check_ready()
    portrait = alt.analyze(photo("obama_portrait.jpg"))
    podium = alt.analyze(photo("obama_podium.jpg"))
    biden = alt.analyze(photo("biden.jpg"))
    assert portrait.template is not None and podium.template is not None
    assert biden.template is not None
    assert np.linalg.norm(portrait.template - podium.template) < 0.6
    assert np.linalg.norm(portrait.template - biden.template) > 0.6
    assert alt.analyze(photo("two_faces.jpg")).problem is FaceProblem.MULTIPLE_FACES
    assert alt.analyze(photo("no_face.jpg")).problem is FaceProblem.NO_FACE
