"""The one unit-label parser (core.units): every way staff and residents write a unit
finds it, in whichever community it is, and nothing else does."""

from __future__ import annotations

import pytest

from core.units import find_unit_by_label, unit_label_readings
from tests.factories import make_community, make_unit

FORMS_OF_3_1201 = [
    "3栋-1201",
    "3栋/1201",
    "3栋 1201",
    "3栋1201",
    "3-1201",
    "3/1201",
    "3 1201",
    " 3栋 - 1201 ",
    "3栋 / 1201",
    "3栋-1201室",
    # Full-width characters, as Chinese input methods type them.
    "３栋－１２０１",
    "３栋／１２０１",
    "３栋　１２０１",
    "３栋１２０１",
    "３－１２０１",
    "３／１２０１",
    # Other dashes.
    "3栋—1201",
    "3栋–1201",
]


def test_readings_put_the_text_as_written_first():
    assert unit_label_readings("3栋-1201")[0] == ("3栋", "1201")
    assert unit_label_readings("3栋1201")[0] == ("3栋", "1201")
    assert unit_label_readings("３／１２０１")[0] == ("3", "1201")
    assert ("3栋", "1201") in unit_label_readings("3/1201")
    # A building name with a dash in it: the number is after the last one.
    assert unit_label_readings("A-2-301")[0] == ("A-2", "301")
    assert unit_label_readings("Block 3-1201")[0] == ("Block 3", "1201")


@pytest.mark.parametrize("text", ["", "   ", "1201", "3栋", "-1201", "3栋-", "/"])
def test_no_reading_without_a_building_and_a_number(text):
    assert unit_label_readings(text) == []


async def test_every_form_finds_the_unit(session):
    community = await make_community(session)
    unit = await make_unit(session, community, "3栋", "1201")
    await make_unit(session, community, "3栋", "1202")
    await make_unit(session, community, "13栋", "1201")
    other = await make_community(session)
    await make_unit(session, other, "3栋", "1201")
    await session.commit()
    for text in FORMS_OF_3_1201:
        found = await find_unit_by_label(session, community.id, text)
        assert found is not None and found.id == unit.id, text
        assert found.label == "3栋-1201"


async def test_building_names_as_they_are(session):
    community = await make_community(session)
    plain = await make_unit(session, community, "5", "101")
    block = await make_unit(session, community, "Block 3", "1201")
    dashed = await make_unit(session, community, "A-2", "301")
    await session.commit()
    for text, unit in [
        ("5-101", plain),
        ("5/101", plain),
        ("5栋-101", plain),  # the suffix is forgiven when the building has none
        ("Block 3-1201", block),
        ("Block 3 1201", block),
        ("Block 3/1201", block),
        ("A-2-301", dashed),
        ("A-2/301", dashed),
    ]:
        found = await find_unit_by_label(session, community.id, text)
        assert found is not None and found.id == unit.id, text


async def test_unknown_units_are_not_found(session):
    community = await make_community(session)
    await make_unit(session, community, "3栋", "1201")
    await session.commit()
    for text in ["3栋-9999", "4栋-1201", "3栋", "1201", "nowhere", "2026-11-24"]:
        assert await find_unit_by_label(session, community.id, text) is None, text
