"""The head pose the enrollment conversation asks for, photo by photo.

Photo 1 faces the camera; photo 2 is turned slightly to one side, photo 3 slightly to
the other. The gate then holds templates of the poses people show when they walk up,
turn for a challenge (:mod:`access.faces.liveness`), or glance aside. The pose is the
same yaw measure the challenge uses (68-point landmarks). Which way is "left" is not
checked: phones mirror selfies or not, but one phone does it consistently, so photo 3
is only required to turn the other way than photo 2.
"""

from __future__ import annotations

import enum

import numpy as np
from numpy.typing import NDArray

from access.faces.liveness import yaw

#: Photo 1: the nose within this share of the face width of the middle.
FRONTAL_MAX = 0.12
#: Photos 2 and 3: turned at least this much, at most ``TURNED_MAX`` (beyond it the
#: face's far side is hidden and the template suffers).
TURNED_MIN = 0.05
TURNED_MAX = 0.30


class PoseProblem(enum.StrEnum):
    LOOK_STRAIGHT = "look_straight"  # photo 1 is turned
    TURN_SLIGHTLY = "turn_slightly"  # photo 2 or 3 faces the camera
    TURN_OTHER_WAY = "turn_other_way"  # photo 3 turned the same way as photo 2
    TURNED_TOO_FAR = "turned_too_far"


def pose_problem(
    landmarks: NDArray[np.float64], photo: int, previous_side: int = 0
) -> tuple[PoseProblem | None, int]:
    """Whether photo number ``photo`` (1, 2, 3) shows the pose asked; and its side
    (-1, 0, 1) to keep for the next photo. ``previous_side``: photo 2's side."""
    y = yaw(landmarks)
    side = 0 if abs(y) < TURNED_MIN else (1 if y > 0 else -1)
    if photo <= 1:
        return (PoseProblem.LOOK_STRAIGHT if abs(y) > FRONTAL_MAX else None), side
    if abs(y) > TURNED_MAX:
        return PoseProblem.TURNED_TOO_FAR, side
    if side == 0:
        return PoseProblem.TURN_SLIGHTLY, side
    if photo >= 3 and previous_side and side == previous_side:
        return PoseProblem.TURN_OTHER_WAY, side
    return None, side
