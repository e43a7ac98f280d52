"""Importing the equipment ledger by sending the CSV in the admin group."""

from __future__ import annotations

from tests.equipment.test_import_cli import GOOD, HEADER
from tests.patrols.conftest import GUARD_ID, MANAGER_ID, world  # noqa: F401

CAPTION = "/equipment_import"


async def test_a_csv_sent_in_the_group(running_bot, emulator, world):  # noqa: F811
    group = world.group
    good = GOOD.encode("utf-8-sig")
    await group.send_document(GUARD_ID, good, "ledger.csv", "text/csv", caption=CAPTION)
    await group.expect("Only manager")
    await group.send(MANAGER_ID, CAPTION)
    await group.expect("Send the ledger as a CSV file")
    await group.send_document(
        MANAGER_ID, b"PK\x03\x04", "ledger.xlsx", "application/zip", caption=CAPTION
    )
    await group.expect("That is not a CSV file.")

    bad = (
        HEADER
        + "电梯3-1,elevator,3栋,3栋,2019-05-01,奥的斯,technician\n"
        + ",pump,泵房,,,,\n"
        + "电梯3-1,elevator,3栋,3栋,2019-13-01,,janitor\n"
    ).encode()
    await group.send_document(MANAGER_ID, bad, "ledger.csv", "text/csv", caption=CAPTION)
    refused = await group.expect("problem(s) in the file; nothing was imported")
    text = refused["text"]
    assert "Line 3: the name is missing" in text
    assert "Line 4: installed_on is not a date" in text
    assert "Line 4: responsible_role must be" in text
    await group.send(MANAGER_ID, "/equipment")
    await group.expect("The ledger is empty")

    await group.send_document(MANAGER_ID, good, "ledger.csv", "text/csv", caption=CAPTION)
    await group.expect("Equipment imported: 3 created, 0 updated, 0 unchanged.")
    await group.send_document(MANAGER_ID, good, "ledger.csv", "text/csv", caption=CAPTION)
    await group.expect("Equipment imported: 0 created, 0 updated, 3 unchanged.")
    await group.send(GUARD_ID, "/equipment")
    ledger = await group.expect("Equipment in use: 3")
    assert "消防水泵" in ledger["text"]
