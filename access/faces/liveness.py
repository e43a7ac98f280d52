"""Liveness at the gate: is the face in front of the camera a live person?

A gate's policy (:class:`LivenessMode`, stored per gate, ``challenge`` by default):

- ``terminal`` — the terminal judges (an IR or depth camera). The gate accepts a face
  only with ``liveness=passed`` from a terminal registered for that gate as
  liveness-capable; the verdict of any other terminal is ignored.
- ``challenge`` — for plain cameras. The terminal asks for a challenge, the server picks
  a random :class:`Action` (blink, turn the head left, turn it right), the terminal
  shows it and sends a short burst of frames (at most :data:`MAX_FRAMES`, about two
  seconds). :func:`check_burst` then requires every frame to hold one usable face, the
  frames to differ, every frame to be the same person as the first, and the action to
  be seen in the 68-point landmarks: the eye aspect ratio falling and recovering
  (blink), or the nose moving across the face's outline (yaw) the asked way.
- ``off`` — one still frame opens, as before; a printed photo of a resident does too.
  Only set by an explicit choice (``courtyard faces liveness … off --accept-risk``).

Why the yaw measure resists a tilted photo: the nose tip's position *between the face's
left and right outline* changes when a real head turns (the nose stands out of the
face plane), but hardly when a flat picture is turned or bent, which only foreshortens
it (measured on the committed photos: at most 0.10 against the 0.15 required,
docs/decisions/0026-face-liveness-and-look-alikes.md).

Frames are analysed in memory and dropped; nothing of them is kept.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Frames a burst may hold; each costs one template (~0.1 s).
MAX_FRAMES = 8
#: A challenge is valid this long after it was issued (shown, then ~2 s of frames).
CHALLENGE_TTL_S = 8
#: The burst the terminal should record, in milliseconds.
BURST_MS = 2000

#: Blink: the lowest eye aspect ratio must fall under this share of the open eyes'
#: ratio before *and* after it.
BLINK_DROP = 0.6
#: Eyes count as open from this eye aspect ratio (closed eyes measure ~0.1).
EYES_OPEN = 0.18
#: Turn: the nose must move this far across the face (share of the face's width).
TURN_SHIFT = 0.15
#: Two frames whose landmarks moved less than this (share of the face's width) and whose
#: pixels differ by less than :data:`SAME_PIXELS` are the same frame sent twice.
SAME_LANDMARKS = 0.002
SAME_PIXELS = 0.5


class LivenessMode(enum.StrEnum):
    TERMINAL = "terminal"
    CHALLENGE = "challenge"
    OFF = "off"


#: Every gate without an explicit choice.
DEFAULT_MODE = LivenessMode.CHALLENGE


class Action(enum.StrEnum):
    BLINK = "blink"
    #: The person turns their head to *their* left: in the camera's (unmirrored) frame
    #: the nose moves towards the right of the picture.
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


class LivenessProblem(enum.StrEnum):
    """Why a face was refused as not (shown to be) live. The terminal answers each with
    "look at the camera and blink / turn" and the other ways in."""

    CHALLENGE_REQUIRED = "challenge_required"  # a single still, or no challenge
    CHALLENGE_INVALID = "challenge_invalid"  # unknown, expired, used, or another gate's
    IDENTICAL_FRAMES = "identical_frames"  # the same frame sent again
    FACE_LOST = "face_lost"  # a frame without one usable face
    IDENTITY_CHANGED = "identity_changed"  # not the same person in every frame
    WRONG_ACTION = "wrong_action"  # the action asked was not seen (or another one was)
    TERMINAL_NOT_CAPABLE = "terminal_not_capable"  # mode terminal: no verdict we trust


@dataclass(frozen=True, slots=True)
class Frame:
    """What one frame of a burst gave: 68 landmarks, its template, a pixel thumbnail."""

    landmarks: NDArray[np.float64]  # (68, 2), pixels
    template: NDArray[np.float32]
    thumb: NDArray[np.float32]  # 32x32 grey of the face box


def eye_aspect_ratio(p: NDArray[np.float64]) -> float:
    """Mean eye aspect ratio of both eyes (Soukupová and Čech, 2016), 68-point indices."""

    def one(e: NDArray[np.float64]) -> float:
        vertical = np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])
        return float(vertical / (2.0 * max(float(np.linalg.norm(e[0] - e[3])), 1e-6)))

    return (one(p[36:42]) + one(p[42:48])) / 2.0


def yaw(p: NDArray[np.float64]) -> float:
    """Where the nose tip sits between the face's outline (jaw points 0 and 16), from
    -0.5 to 0.5, 0 when frontal; grows when the person turns to their left."""
    left, right, nose = p[0], p[16], p[30]
    width = float(right[0] - left[0])
    if abs(width) < 1e-6:
        return 0.0
    return float((nose[0] - left[0]) / width - 0.5)


def _face_width(p: NDArray[np.float64]) -> float:
    return max(float(np.linalg.norm(p[16] - p[0])), 1e-6)


def _same_frame(a: Frame, b: Frame) -> bool:
    moved = float(np.abs(a.landmarks - b.landmarks).max()) / _face_width(a.landmarks)
    pixels = float(np.abs(a.thumb - b.thumb).mean())
    return moved < SAME_LANDMARKS and pixels < SAME_PIXELS


def _blinked(ears: Sequence[float]) -> bool:
    low = int(np.argmin(ears))
    if low == 0 or low == len(ears) - 1:
        return False  # closed at the start or the end: no open-closed-open
    before, after = max(ears[:low]), max(ears[low + 1 :])
    opened = min(before, after)
    return opened >= EYES_OPEN and ears[low] <= BLINK_DROP * opened


def seen_action(frames: Sequence[Frame]) -> set[Action]:
    """Every action the burst shows (a turn both ways shows both)."""
    seen: set[Action] = set()
    if _blinked([eye_aspect_ratio(f.landmarks) for f in frames]):
        seen.add(Action.BLINK)
    yaws = [yaw(f.landmarks) for f in frames]
    if max(yaws) - yaws[0] >= TURN_SHIFT:
        seen.add(Action.TURN_LEFT)
    if yaws[0] - min(yaws) >= TURN_SHIFT:
        seen.add(Action.TURN_RIGHT)
    return seen


def check_burst(
    action: Action, frames: Sequence[Frame], same_person: float
) -> LivenessProblem | None:
    """None when the burst shows a live person doing ``action``; else why not.

    ``same_person`` is the largest template distance between the first frame and any
    other (the match threshold: a burst is one person within two seconds)."""
    if len(frames) < 2:
        return LivenessProblem.CHALLENGE_REQUIRED
    for a, b in itertools.pairwise(frames):
        if _same_frame(a, b):
            return LivenessProblem.IDENTICAL_FRAMES
    first = frames[0].template
    for f in frames[1:]:
        if float(np.linalg.norm(f.template - first)) > same_person:
            return LivenessProblem.IDENTITY_CHANGED
    seen = seen_action(frames)
    turns = {Action.TURN_LEFT, Action.TURN_RIGHT}
    if action not in seen or (action in turns and turns <= seen):
        # Turning both ways is not turning the way asked: a photo swung to and fro.
        return LivenessProblem.WRONG_ACTION
    return None


def most_frontal(frames: Sequence[Frame]) -> Frame:
    """The frame to identify the person with: the one nearest to frontal."""
    return min(frames, key=lambda f: abs(yaw(f.landmarks)))
