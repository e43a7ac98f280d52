"""Weights come from the installed package, never from the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from access.faces import DlibDeepFaceEngine, FaceEngineNotReady, FaceSettings, provision_weights
from access.faces.weights import (
    ANTI_SPOOFING_FILES,
    DLIB_LANDMARKS_FILE,
    DLIB_RECOGNITION_FILE,
    packaged_weight,
)

pytestmark = pytest.mark.faces


def test_provisioning_into_an_empty_home(tmp_path: Path) -> None:
    first = provision_weights(tmp_path)
    folder = tmp_path / ".deepface" / "weights"
    assert {f.path for f in first} == {folder / DLIB_RECOGNITION_FILE, folder / DLIB_LANDMARKS_FILE}
    assert all(f.copied for f in first)
    for f in first:
        assert f.path.stat().st_size == packaged_weight(f.path.name).stat().st_size
    # Idempotent, and leaves no temporary files behind.
    assert not any(f.copied for f in provision_weights(tmp_path))
    assert sorted(os.listdir(folder)) == sorted([DLIB_RECOGNITION_FILE, DLIB_LANDMARKS_FILE])


def test_a_torn_file_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / ".deepface" / "weights"
    folder.mkdir(parents=True)
    (folder / DLIB_RECOGNITION_FILE).write_bytes(b"<html>Not Found</html>")
    copied = {f.path.name: f.copied for f in provision_weights(tmp_path)}
    assert copied[DLIB_RECOGNITION_FILE]


def test_deepface_loads_provisioned_weights_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Build deepface's own Dlib client directly (bypassing its model cache) against
    # the provisioned folder; any download attempt fails the test.
    from deepface.commons import weight_utils
    from deepface.models.facial_recognition.dlib.Dlib import DlibClient

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("deepface tried to download weights")

    monkeypatch.setattr(weight_utils, "ensure_source_is_reachable", no_download)
    monkeypatch.setattr(weight_utils.gdown, "download", no_download)
    provision_weights(tmp_path)
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path))
    assert DlibClient().output_shape == 128


def test_engine_provisions_on_first_use(tmp_path: Path) -> None:
    engine = DlibDeepFaceEngine(FaceSettings(deepface_home=tmp_path))
    engine.check_ready()
    assert (tmp_path / ".deepface" / "weights" / DLIB_RECOGNITION_FILE).is_file()


def test_without_provisioning_the_engine_says_what_to_run(tmp_path: Path) -> None:
    engine = DlibDeepFaceEngine(FaceSettings(deepface_home=tmp_path, auto_provision=False))
    with pytest.raises(FaceEngineNotReady, match="courtyard faces setup"):
        engine.check_ready()


def test_anti_spoofing_without_its_weights_fails_clearly(tmp_path: Path) -> None:
    engine = DlibDeepFaceEngine(FaceSettings(deepface_home=tmp_path), anti_spoofing=True)
    with pytest.raises(FaceEngineNotReady) as err:
        engine.check_ready()
    message = str(err.value)
    assert "anti-spoofing is on" in message
    assert all(name in message for name in ANTI_SPOOFING_FILES)
    assert str(tmp_path / ".deepface" / "weights") in message
    # And analyze() refuses the same way rather than running without the check.
    with pytest.raises(FaceEngineNotReady, match="anti-spoofing"):
        engine.analyze(b"")


def test_deepface_home_is_restored_after_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPFACE_HOME", "/somewhere/else")
    DlibDeepFaceEngine(FaceSettings(deepface_home=tmp_path)).check_ready()
    assert os.environ["DEEPFACE_HOME"] == "/somewhere/else"


def test_settings_validation() -> None:
    with pytest.raises(ValueError, match="chip"):
        FaceSettings(detector="opencv")
    assert FaceSettings().match_threshold == 0.5
    assert FaceSettings(threshold=0.4, margin=0.05).match_margin == 0.05
    # Another model gets deepface's threshold, not the one measured for Dlib.
    arc = FaceSettings(model_name="ArcFace", alignment="deepface", detector="opencv")
    assert arc.match_threshold == pytest.approx(4.15)
    assert DlibDeepFaceEngine(detector="opencv").settings.alignment == "deepface"


def test_provisioning_defaults_to_deepface_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path))
    paths = {f.path for f in provision_weights()}
    assert paths == {
        tmp_path / ".deepface" / "weights" / n for n in (DLIB_RECOGNITION_FILE, DLIB_LANDMARKS_FILE)
    }
