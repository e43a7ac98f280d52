"""The long-lived services a process builds once at start-up: the gate runtime and
its face service.

:func:`build_gate` makes both and sets them on the context (``ctx.gate``,
``ctx.faces``): the chat (remote opening, enrollment, deletion) and the gate API
(decisions) of one process then share one set of door drivers, one face engine and
one set of in-memory face indexes. The bot, the stand-alone gate API
(``courtyard gate-api``) and the sandbox all build them here.
"""

from __future__ import annotations

from access.decision import AccessPolicy
from access.faces import FaceSettings
from access.faces.service import FaceService
from access.faces.weights import ANTI_SPOOFING_FILES, missing_weights
from access.service import AccessRuntime
from access.walkins.limits import WalkinPolicy
from access.walkins.service import WalkinDesk
from bot.context import AppContext
from bot.settings import Settings, SettingsError


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


def build_gate(ctx: AppContext) -> AccessRuntime:
    """The process's gate runtime with its face service, set on ``ctx``.

    The face configuration is checked first (a bad one raises
    :class:`~bot.settings.SettingsError` before anything is opened). Nothing runs
    yet: the caller attaches the chat side (``bot.assembly.attach_features``: until
    then the runtime's alerts are only logged), starts the face index
    (``ctx.faces.start()``) and closes the runtime (which closes the face service)
    when the process ends.
    """
    config = check_face_startup(ctx.settings)
    runtime = AccessRuntime(
        database_url=ctx.settings.database_url,
        secret_key=ctx.secret_key,
        clock=ctx.clock,
        policy=AccessPolicy(plate_min_confidence=ctx.settings.plate_min_confidence),
    )
    runtime.faces = FaceService(
        runner=runtime.runner,
        secret_key=ctx.secret_key,
        settings=config,
        workers=ctx.settings.face_workers,
    )
    policy = WalkinPolicy(answer_s=ctx.settings.walkin_answer_s)
    runtime.walkins = WalkinDesk(runtime, ctx.session_factory, policy)
    ctx.gate, ctx.faces = runtime, runtime.faces
    return runtime
