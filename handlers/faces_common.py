"""Face access wiring: settings → engine configuration, the process's :class:`FaceService`,
the start-up check, the jobs, and the wording of every :class:`FaceProblem`.

The service lives in ``ctx.extras["faces"]`` and is also the gate runtime's
``runtime.faces``, so the chat (enrollment, deletion) and the gate API (decisions) of
one process share one engine and one set of in-memory indexes.
"""

from __future__ import annotations

import logging

from aiogram.utils.i18n import gettext as _

from access.faces import FaceProblem, FaceSettings
from access.faces.service import FaceService
from access.faces.store import purge_pending
from access.faces.weights import ANTI_SPOOFING_FILES, missing_weights
from access.service import AccessRuntime
from bot.context import AppContext
from bot.settings import Settings, SettingsError
from core.scheduler import Scheduler

log = logging.getLogger(__name__)

EXTRAS_KEY = "faces"


def face_settings(settings: Settings) -> FaceSettings:
    """The engine configuration from ``COURTYARD_FACE_*``."""
    kwargs: dict[str, object] = {
        "model_name": settings.face_model,
        "threshold": settings.face_threshold,
        "margin": settings.face_margin,
        "anti_spoofing": settings.face_anti_spoofing,
    }
    if settings.face_model != "Dlib":
        # dlib's 5-point chip is what the Dlib model was trained on; any other model
        # gets deepface's own detection and alignment.
        kwargs["alignment"] = "deepface"
    if settings.face_deepface_home is not None:
        kwargs["deepface_home"] = settings.face_deepface_home
    return FaceSettings(**kwargs)  # type: ignore[arg-type]


def check_face_startup(settings: Settings) -> FaceSettings:
    """Refuse to start on a face configuration that cannot work, with one clear line."""
    config = face_settings(settings)
    if config.anti_spoofing:
        missing = missing_weights(config.deepface_home, ANTI_SPOOFING_FILES)
        if missing:
            raise SettingsError(
                "COURTYARD_FACE_ANTI_SPOOFING is on but its weights are missing from "
                f"{config.weights_dir}: {', '.join(missing)} (they cannot be downloaded here; "
                "copy them there, or set COURTYARD_FACE_ANTI_SPOOFING=false)."
            )
    try:
        config.match_threshold  # noqa: B018 - raises for a model without a known threshold
    except ValueError:
        raise SettingsError(
            f"COURTYARD_FACE_MODEL={config.model_name}: no known match threshold for this "
            "model; set COURTYARD_FACE_THRESHOLD (measure it with bench/faces.py --people)."
        ) from None
    return config


def attach_faces(ctx: AppContext, runtime: AccessRuntime) -> FaceService:
    """Create the process's face service on the gate runtime's database runner."""
    service = ctx.extras.get(EXTRAS_KEY)
    if isinstance(service, FaceService):
        runtime.faces = service
        return service
    service = FaceService(
        runner=runtime.runner,
        secret_key=ctx.secret_key,
        settings=check_face_startup(ctx.settings),
    )
    ctx.extras[EXTRAS_KEY] = service
    runtime.faces = service
    return service


def faces_of(ctx: AppContext) -> FaceService:
    """The process's face service (created with the gate runtime on first use)."""
    service = ctx.extras.get(EXTRAS_KEY)
    if isinstance(service, FaceService):
        return service
    from handlers.access_common import runtime_of

    return attach_faces(ctx, runtime_of(ctx))


async def purge_pending_job(ctx: AppContext) -> int:
    async with ctx.session_factory() as session:
        count = await purge_pending(session, ctx.clock.now())
        await session.commit()
    return count


def setup_faces(ctx: AppContext, scheduler: Scheduler) -> None:
    """At start-up: check the configuration (a bad one stops the process), start the
    index poll and warm-up, and register the clean-up of abandoned enrollments."""
    faces_of(ctx).start()
    scheduler.add_periodic("faces.purge_pending", lambda: purge_pending_job(ctx), 300)


# --- wording ---------------------------------------------------------------------------------


def problem_text(problem: FaceProblem, faces: int = 0) -> str:
    """What to fix, in the person's words, for each reason a photo was refused."""
    if problem == FaceProblem.MULTIPLE_FACES:
        return _(
            "👥 I found {count} faces in this photo. Only one person may be in the picture — "
            "please take it again alone."
        ).format(count=faces if faces > 1 else 2)
    texts = {
        FaceProblem.NOT_AN_IMAGE: _(
            "🖼 I could not open that as a picture. Please send a photo (JPEG or PNG)."
        ),
        FaceProblem.IMAGE_TOO_LARGE: _(
            "📦 That picture is too large (at most 10 MB). Please send it as a photo, not as "
            "a file."
        ),
        FaceProblem.NO_FACE: _(
            "🔍 I can't find a face in this photo. Look straight into the camera with your "
            "whole face visible — no mask, no hand, no hat brim over the eyes."
        ),
        FaceProblem.FACE_TOO_SMALL: _(
            "↔️ The face is too small in this photo. Move closer, so the face fills a good "
            "part of the picture."
        ),
        FaceProblem.TOO_DARK: _(
            "🌑 This photo is too dark. Face a window or a lamp and take it again."
        ),
        FaceProblem.TOO_BRIGHT: _(
            "☀️ This photo is too bright. Step out of direct sunlight or away from the flash "
            "and take it again."
        ),
        FaceProblem.TOO_BLURRY: _(
            "🌫 This photo is blurry. Hold the phone still, let the camera focus, and take it again."
        ),
        FaceProblem.SPOOF_SUSPECTED: _(
            "📵 This looks like a photo of a photo or of a screen. Please take a live selfie."
        ),
    }
    return texts[problem]
