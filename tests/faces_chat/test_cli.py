"""`courtyard faces setup|status`, and the start-up refusal of a face configuration that
cannot work (anti-spoofing on, its weights missing): one line, non-zero exit."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from click.testing import CliRunner

from access.faces.models import ConsentKind
from access.faces.store import (
    add_pending_template,
    finish_enrollment,
    new_enrollment_key,
    record_consent,
)
from bot.cli import main
from bot.services import check_face_startup
from bot.settings import Settings, SettingsError
from core.db import create_engine, create_session_factory
from tests.conftest import TEST_SECRET, TEST_TOKEN
from tests.faces_chat.conftest import START
from tests.factories import make_community, make_resident, make_unit


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    monkeypatch.setenv("COURTYARD_FACE_DEEPFACE_HOME", str(tmp_path / "df"))
    monkeypatch.delenv("COURTYARD_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args))

    return run


def _enroll_one(database_url: str) -> None:
    async def go() -> None:
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                community = await make_community(session, "Sunny Garden")
                unit = await make_unit(session, community)
                person, _ = await make_resident(session, unit, 501, "Wang")
                await make_resident(session, unit, 502, "Li")
                await record_consent(
                    session,
                    community_id=community.id,
                    subject_person_id=person.id,
                    given_by_person_id=person.id,
                    kind=ConsentKind.SELF,
                    text_sha256="0" * 64,
                    locale="en",
                    now=START,
                )
                key = new_enrollment_key()
                await add_pending_template(
                    session,
                    community_id=community.id,
                    person_id=person.id,
                    actor_person_id=person.id,
                    enrollment=key,
                    template=np.ones(128, np.float32),
                    model="Dlib",
                    secret_key=TEST_SECRET,
                    now=START,
                )
                await finish_enrollment(
                    session,
                    community_id=community.id,
                    person_id=person.id,
                    actor_person_id=person.id,
                    enrollment=key,
                    model="Dlib",
                    secret_key=TEST_SECRET,
                    guard=0.6,
                    now=START,
                )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


def test_status_shows_counts_never_templates(cli, database_url, monkeypatch):
    _enroll_one(database_url)
    result = cli("faces", "status")
    assert result.exit_code == 0, result.output
    assert "model Dlib, threshold 0.50, margin 0.10, anti-spoofing off" in result.output
    assert "missing dlib_face_recognition_resnet_model_v1.dat" in result.output
    assert "Sunny Garden: 1 of 2 residents enrolled, 1 templates" in result.output
    # With another secret key the templates are unreadable, and status says so.
    monkeypatch.setenv("COURTYARD_SECRET_KEY", "rotated")
    result = cli("faces", "status", "Sunny Garden")
    assert "1 UNREADABLE (secret key changed?)" in result.output
    result = cli("faces", "status", "Nowhere")
    assert result.exit_code == 1 and "no community" in result.output


@pytest.mark.faces
def test_setup_provisions_offline_and_loads(cli, tmp_path):
    result = cli("faces", "setup")
    assert result.exit_code == 0, result.output
    assert "copied " in result.output and "face engine ready: model Dlib" in result.output
    assert (tmp_path / "df/.deepface/weights/shape_predictor_5_face_landmarks.dat").is_file()
    result = cli("faces", "status")
    assert "all present" in result.output


def test_anti_spoofing_without_weights_stops_start_up(cli, tmp_path, monkeypatch):
    settings = Settings(
        face_anti_spoofing=True,
        face_deepface_home=tmp_path / "empty",
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
    )
    with pytest.raises(SettingsError) as err:
        check_face_startup(settings)
    assert "COURTYARD_FACE_ANTI_SPOOFING" in str(err.value)
    assert "\n" not in str(err.value)

    monkeypatch.setenv("COURTYARD_BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("COURTYARD_TELEGRAM_API", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("COURTYARD_FACE_ANTI_SPOOFING", "true")
    for command in (["run"], ["gate-api", "--port", "0"]):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.strip().startswith("courtyard: COURTYARD_FACE_ANTI_SPOOFING is on")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "2.7_80x80_MiniFASNetV2.onnx" in result.stderr

    monkeypatch.setenv("COURTYARD_FACE_ANTI_SPOOFING", "false")
    monkeypatch.setenv("COURTYARD_FACE_MODEL", "NoSuchModel")
    with pytest.raises(SettingsError, match="COURTYARD_FACE_THRESHOLD"):
        check_face_startup(Settings(face_model="NoSuchModel"))


def test_liveness_off_needs_a_name_and_the_risk_accepted(cli, database_url):
    async def gate() -> None:
        from access.gates import create_gate

        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                community = await make_community(session, "Sunny Garden")
                await create_gate(
                    session, secret_key=TEST_SECRET, community_id=community.id, name="East Gate"
                )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(gate())
    shown = cli("faces", "liveness", "Sunny Garden", "East Gate")
    assert shown.exit_code == 0 and "East Gate: liveness challenge" in shown.output
    refused = cli("faces", "liveness", "Sunny Garden", "East Gate", "off")
    assert refused.exit_code != 0
    assert "printed photo or a phone screen" in refused.output
    assert "--accept-risk" in refused.output
    assert "liveness challenge" in cli("faces", "liveness", "Sunny Garden", "East Gate").output
    no_terminal = cli("faces", "liveness", "Sunny Garden", "East Gate", "terminal")
    assert no_terminal.exit_code != 0 and "--terminal" in no_terminal.output
    chosen = cli(
        "faces", "liveness", "Sunny Garden", "East Gate", "off", "--by", "Li", "--accept-risk"
    )
    assert chosen.exit_code == 0, chosen.output
    assert "liveness off" in chosen.output and "chosen by Li" in chosen.output
    terminal = cli(
        "faces", "liveness", "Sunny Garden", "East Gate", "terminal", "--terminal", "ir-1"
    )
    assert "liveness terminal (liveness-capable: ir-1)" in terminal.output
