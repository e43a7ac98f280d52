"""The words of face access: the consent screen, why a photo was refused, and why a
request was refused. Limits in them (photos per person, the largest picture, the
guardian age) come from the face service and store, never written here.
"""

from __future__ import annotations

import html

from aiogram.utils.i18n import gettext as _

from access.faces import FaceProblem
from access.faces.models import ConsentKind
from access.faces.pose import PoseProblem
from access.faces.store import CONSENT_TEXT_VERSION, GUARDIAN_AGE


def error_text(code: str) -> str:
    """A :class:`~access.faces.store.FaceError` in the person's words (``too_many``
    has its own: :func:`too_many_text`)."""
    texts = {
        "not_resident": _("Face access is for residents of this community."),
        "not_household": _("Only an owner can do this, for family members living in their home."),
        "no_consent": _(
            "Consent is missing or was withdrawn, so nothing was stored. Open Face access "
            "to start again."
        ),
        "member_has_telegram": _(
            "They have their own Telegram account, so they must agree themselves."
        ),
        "no_templates": _(
            "No accepted photo is waiting (they expire after half an hour). Please send the "
            "photos again."
        ),
    }
    return texts.get(code, _("That is not possible right now."))


def too_many_text(max_photos: int) -> str:
    return _("That makes more than {limit} photos. Press ✅ Done to finish.").format(
        limit=max_photos
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def problem_text(problem: FaceProblem, *, max_image_bytes: int, faces: int = 0) -> str:
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
            "📦 That picture is too large (at most {size} MB). Please send it as a photo, not "
            "as a file."
        ).format(size=megabytes(max_image_bytes)),
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


def pose_text(problem: PoseProblem) -> str:
    """The enrollment photo shows the face well, but not the pose asked for it."""
    texts = {
        PoseProblem.LOOK_STRAIGHT: _(
            "↩️ For the first photo, please look straight into the camera (head not turned)."
        ),
        PoseProblem.TURN_SLIGHTLY: _(
            "↪️ For this photo, please turn your head slightly to one side — still looking "
            "at the camera, both eyes visible."
        ),
        PoseProblem.TURN_OTHER_WAY: _(
            "↔️ This one is turned the same way as the last photo. Please turn your head "
            "slightly to the other side."
        ),
        PoseProblem.TURNED_TOO_FAR: _(
            "↩️ The head is turned too far. Turn it only slightly, so both eyes stay visible."
        ),
    }
    return texts[problem]


def next_pose_text(accepted: int) -> str:
    """What the next photo should show, after ``accepted`` accepted photos."""
    if accepted == 1:
        return _("Next: the head turned slightly to one side.")
    return _("Next: the head turned slightly to the other side.")


def consent_text(community: str, kind: ConsentKind, name: str = "", owner: str = "") -> str:
    """The consent screen. The same words for everyone; who it is about changes."""
    c = html.escape(community)
    n = html.escape(name)
    if kind in (ConsentKind.SELF, ConsentKind.MEMBER):  # read by the person themselves
        head = _(
            "🙂 <b>Face access at the gate — please read before you agree</b>\n\n"
            "If you agree, the gates of {community} open when the camera recognises your face."
        ).format(community=c)
        subject = _("your")
    else:
        head = _(
            "🙂 <b>Face access at the gate for {name} — please read before agreeing</b>\n\n"
            "If you agree, the gates of {community} open when the camera recognises {name}'s "
            "face."
        ).format(community=c, name=n)
        subject = _("their")
    body = _(
        "• <b>What is stored:</b> a numeric template computed from the photos ({subject} "
        "face as a list of numbers). The photos themselves are never stored: they are "
        "checked in memory and discarded at once.\n"
        "• <b>Where:</b> only in {community}'s own Courtyard database, encrypted. Property "
        "staff see how many residents are enrolled — never a template, never a photo.\n"
        "• <b>For how long:</b> until it is deleted (Face access → Delete) or the move-out, "
        "whichever comes first.\n"
        "• <b>Telegram:</b> the photos you send here travel through Telegram's servers to "
        "reach us.\n"
        "• <b>Never the only way in:</b> door codes, access cards and opening the gate from "
        "this chat keep working, with or without face access.\n\n"
        "A face is sensitive personal information. You can withdraw at any time by deleting "
        "the face data."
    ).format(subject=subject, community=c)
    parts = [head, body]
    if kind == ConsentKind.GUARDIAN:
        parts.append(
            _("You are agreeing as the parent or guardian of {name}, who is under {age}.").format(
                name=n, age=GUARDIAN_AGE
            )
        )
    elif kind == ConsentKind.HOUSEHOLD:
        parts.append(
            _("Please read this to {name}. Continue only if {name} agrees to face access.").format(
                name=n
            )
        )
    elif kind == ConsentKind.MEMBER:
        parts.append(
            _("{owner} would like to enroll your face for the gate.").format(
                owner=html.escape(owner)
            )
        )
    parts.append(_("Version {version}.").format(version=CONSENT_TEXT_VERSION))
    return "\n\n".join(parts)


def agree_label(kind: ConsentKind, name: str) -> str:
    if kind == ConsentKind.GUARDIAN:
        return _("✅ As their parent or guardian, I agree")
    if kind == ConsentKind.HOUSEHOLD:
        return _("✅ {name} agrees").format(name=name)
    return _("✅ I agree")


def lookalike_text(*, self_: bool, name: str = "") -> str:
    """Told at enrollment, and to the other person: why face alone no longer opens."""
    if self_:
        head = _(
            "⚠️ Your face is very close to that of another resident enrolled here, so "
            "close that the gate could mistake one of you for the other."
        )
    else:
        head = _(
            "⚠️ The face of {name} is very close to that of another resident enrolled "
            "here, so close that the gate could mistake one for the other."
        ).format(name=html.escape(name))
    return (
        head
        + "\n"
        + _(
            "To keep your door safe, the face alone no longer opens the gate: enter your "
            "code or card at the terminal, or open from this chat. Family members often "
            "look alike; this is not an error. Deleting either face ends it."
        )
    )


def lookalike_notice() -> str:
    """To a resident already enrolled when a look-alike enrolls."""
    return (
        _(
            "⚠️ Someone who looks very much like you has just enrolled for face access in "
            "your community. So that the gate cannot mistake one of you for the other, your "
            "face alone no longer opens it."
        )
        + "\n"
        + _(
            "Enter your code or card at the terminal, or open from this chat. Your face "
            "data is unchanged; you can delete it at any time under Face access."
        )
    )
