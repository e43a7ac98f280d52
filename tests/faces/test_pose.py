"""The enrollment's pose rule on the committed photos' landmarks (real engine)."""

from __future__ import annotations

import pytest

from access.faces.pose import PoseProblem, pose_problem
from tests.faces.conftest import IMAGES

pytestmark = pytest.mark.faces


@pytest.fixture(scope="module")
def landmarks(engine):
    def get(name: str):
        analysis = engine.analyze_frame((IMAGES / name).read_bytes())
        assert analysis.landmarks is not None, name
        return analysis.landmarks

    return get


def test_frontal_then_one_side_then_the_other(landmarks):
    frontal, right, left = (
        landmarks("obama_portrait.jpg"),  # facing the camera
        landmarks("obama_podium.jpg"),  # turned to his right
        landmarks("obama_east_room.jpg"),  # turned slightly to his left
    )
    assert pose_problem(frontal, 1) == (None, 0)
    assert pose_problem(right, 1)[0] == PoseProblem.LOOK_STRAIGHT
    assert pose_problem(frontal, 2)[0] == PoseProblem.TURN_SLIGHTLY
    problem, side = pose_problem(left, 2)
    assert problem is None and side == 1
    assert pose_problem(landmarks("obama_east_room_bright.jpg"), 3, side)[0] == (
        PoseProblem.TURN_OTHER_WAY
    )
    assert pose_problem(right, 3, side) == (None, -1)
