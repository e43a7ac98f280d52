"""Operator commands for face access.

    courtyard faces setup [--force]     copy the model weights (offline) and load the engine
    courtyard faces status [COMMUNITY]  configuration, weights, and per-community counts
    courtyard faces liveness COMMUNITY GATE [terminal|challenge|off]   (bot/cli_faces_liveness.py)

Neither command ever prints a template or anything derived from one.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, NoReturn

import click


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"courtyard: {message}", err=True)
    sys.exit(code)


def register(main: click.Group) -> None:
    @main.group()
    def faces() -> None:
        """Face access: provision the engine, show its state, gates' liveness."""

    from bot.cli_faces_liveness import register as register_liveness

    register_liveness(faces)

    @faces.command("setup")
    @click.option("--force", is_flag=True, help="Copy the weights again even if present.")
    def faces_setup(force: bool) -> None:
        """Copy the dlib weights where deepface looks (no network) and load the engine."""
        from access.faces import DlibDeepFaceEngine, FaceEngineNotReady, provision_weights
        from access.faces.weights import ANTI_SPOOFING_FILES, WeightsUnavailableError
        from bot.cli import get_settings
        from bot.services import face_settings

        settings = get_settings()
        config = face_settings(settings)
        try:
            provisioned = provision_weights(config.deepface_home, force=force)
        except (WeightsUnavailableError, OSError) as exc:
            _fail(f"could not provision the face weights: {exc}")
        for item in provisioned:
            click.echo(f"{'copied ' if item.copied else 'present'}  {item.path}")
        if config.anti_spoofing:
            missing = [n for n in ANTI_SPOOFING_FILES if not (config.weights_dir / n).is_file()]
            if missing:
                _fail(
                    f"anti-spoofing is on but {', '.join(missing)} are missing from "
                    f"{config.weights_dir}; they cannot be downloaded here: copy them there "
                    "or set COURTYARD_FACE_ANTI_SPOOFING=false"
                )
        started = time.perf_counter()
        try:
            DlibDeepFaceEngine(config).check_ready()
        except FaceEngineNotReady as exc:
            _fail(str(exc))
        click.echo(
            f"face engine ready: model {config.model_name}, threshold "
            f"{config.match_threshold:.2f}, margin {config.match_margin:.2f}, anti-spoofing "
            f"{'on' if config.anti_spoofing else 'off'} "
            f"(loaded in {time.perf_counter() - started:.1f} s)"
        )

    @faces.command("status")
    @click.argument("community", required=False)
    def faces_status(community: str | None) -> None:
        """Configuration, weights, and how many residents are enrolled per community."""
        from access.faces.weights import missing_weights, required_weights
        from bot.cli import get_settings
        from bot.services import face_settings

        settings = get_settings()
        config = face_settings(settings)
        needed = required_weights(config.model_name, config.detector, config.anti_spoofing)
        missing = missing_weights(config.deepface_home, needed)
        try:
            threshold = f"{config.match_threshold:.2f}"
            margin = f"{config.match_margin:.2f}"
        except ValueError:
            threshold = margin = "unknown (set COURTYARD_FACE_THRESHOLD)"
        click.echo(
            f"model {config.model_name}, threshold {threshold}, margin {margin}, "
            f"anti-spoofing {'on' if config.anti_spoofing else 'off'}"
        )
        click.echo(
            f"weights in {config.weights_dir}: "
            + ("all present" if not missing else "missing " + ", ".join(missing))
        )
        rows = asyncio.run(_counts(settings, community, config.model_name))
        if not rows:
            click.echo("No communities.")
        for name, enrolled, residents, templates, other_model, unreadable in rows:
            line = f"{name}: {enrolled} of {residents} residents enrolled, {templates} templates"
            if other_model:
                line += f", {other_model} of another model (ignored; re-enroll)"
            if unreadable:
                line += f", {unreadable} UNREADABLE (secret key changed?)"
            click.echo(line)


async def _counts(
    settings: Any, community: str | None, model: str
) -> list[tuple[str, int, int, int, int, int]]:
    from sqlalchemy import func, select

    from access.faces.models import FaceTemplate, TemplateStatus
    from access.faces.registry import decrypt_rows
    from access.faces.store import StoredTemplate, enrollment_counts
    from core.db import create_engine, create_session_factory
    from core.migrate import upgrade_database_async
    from core.models import Community

    await upgrade_database_async(settings.database_url)
    engine = create_engine(settings.database_url)
    rows: list[tuple[str, int, int, int, int, int]] = []
    try:
        async with create_session_factory(engine)() as session:
            query = select(Community).order_by(Community.name)
            if community:
                ref = community.strip()
                found = await session.scalar(select(Community).where(Community.name == ref))
                if found is None and ref.isdigit():
                    found = await session.get(Community, int(ref))
                if found is None:
                    _fail(f"no community with name or id {ref!r}")
                query = query.where(Community.id == found.id)
            for c in (await session.scalars(query)).all():
                counts = await enrollment_counts(session, c.id, model)
                stored = (
                    await session.execute(
                        select(FaceTemplate.id, FaceTemplate.person_id, FaceTemplate.blob).where(
                            FaceTemplate.community_id == c.id,
                            FaceTemplate.status == TemplateStatus.ACTIVE,
                            FaceTemplate.model == model,
                        )
                    )
                ).all()
                # Decrypted only to count the unreadable ones; nothing is printed.
                _pairs, unreadable = decrypt_rows(
                    [StoredTemplate(i, p, c.id, bytes(b)) for i, p, b in stored],
                    settings.secret(),
                )
                other = await session.scalar(
                    select(func.count(FaceTemplate.id)).where(
                        FaceTemplate.community_id == c.id,
                        FaceTemplate.status == TemplateStatus.ACTIVE,
                        FaceTemplate.model != model,
                    )
                )
                rows.append(
                    (
                        c.name,
                        counts.enrolled,
                        counts.residents,
                        len(stored),
                        int(other or 0),
                        unreadable,
                    )
                )
    finally:
        await engine.dispose()
    return rows
