"""The one plate rule (access.plates): Chinese plates normalized and validated."""

from __future__ import annotations

import pytest

from access.plates import VehicleClass, normalize_plate, plate_class, valid_plate


@pytest.mark.parametrize(
    ("raw", "plate"),
    [
        ("沪A12345", "沪A12345"),
        ("沪a 123 45", "沪A12345"),
        ("沪A·12345", "沪A12345"),
        ("沪Ａ１２３４５", "沪A12345"),  # full width
        ("京B-1O2I3", "京B10213"),  # O and I after the office letter are digits
        ("粤B.D1234 5", "粤BD12345"),  # new energy, small car
        ("粤BDA1234", "粤BDA1234"),
        ("粤B12345F", "粤B12345F"),  # new energy, large vehicle
        ("苏E1234学", "苏E1234学"),
        ("浙C1234挂", "浙C1234挂"),
    ],
)
def test_valid_plates(raw: str, plate: str) -> None:
    assert valid_plate(raw) == plate


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "AAAAAAA",  # no province
        "沪12345A",  # no office letter
        "沪I12345",  # I is never an office letter
        "沪A1234",  # 6 characters
        "沪A123456",  # 8 characters, not new energy
        "粤BX12345",  # 8 characters, third is not D or F
        "粤BD1234A",  # small new energy ends in 4 digits
        "粤B1234AD",  # large new energy has 5 digits first
        "沪A1234!",
        "哈A12345",  # not a province
        "沪A12345" * 10,  # far too long to be a plate
    ],
)
def test_invalid_plates(raw: str | None) -> None:
    assert valid_plate(raw) is None


def test_normalize_and_class() -> None:
    assert normalize_plate(" . ") is None
    assert normalize_plate("x" * 40) is None
    assert plate_class("粤BD12345") == VehicleClass.NEW_ENERGY
    assert plate_class("粤B12345F") == VehicleClass.NEW_ENERGY
    assert plate_class("沪A12345") is None


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_the_confidence_threshold_is_a_validated_setting(bad: float) -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError):
        Settings(bot_token="1:x", plate_min_confidence=bad, _env_file=None)  # type: ignore[call-arg]
