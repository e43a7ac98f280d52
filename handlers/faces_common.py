"""Face access in the chat: the clean-up job and the wording of every :class:`FaceProblem`.

The face service is ``app.faces``, built at start-up with the gate runtime
(``bot.services.build_gate``), so the chat (enrollment, deletion) and the gate API
(decisions) of one process share one engine and one set of in-memory indexes.
"""

from __future__ import annotations

import logging

from aiogram.utils.i18n import gettext as _

from access.faces import FaceProblem
from access.faces.store import purge_pending
from bot.context import AppContext
from core.scheduler import Scheduler

log = logging.getLogger(__name__)


async def purge_pending_job(ctx: AppContext) -> int:
    async with ctx.session_factory() as session:
        count = await purge_pending(session, ctx.clock.now())
        await session.commit()
    return count


def register_face_jobs(ctx: AppContext, scheduler: Scheduler) -> None:
    """The clean-up of abandoned enrollments (the face service itself is built and
    started with the gate runtime, ``bot.services.build_gate``)."""
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
