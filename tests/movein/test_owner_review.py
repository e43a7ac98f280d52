"""Owners by letterbox invitation, where the office confirms owners (issue 21 item
20): the invited owner sends their ID and ownership certificate and the office
approves with one tap; a tenant with an invitation of the same community still
joins at once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.clock import SystemClock
from core.invitations import issue_unit_invitations
from core.models import Community, Residency, ResidencyRole, ResidencyStatus
from core.movein.rules import OWNER_REVIEW_KEY, owners_reviewed
from tests.conftest import TEST_SECRET
from tests.movein.helpers import jpeg
from tests.movein.test_cli import _query
from tests.movein.test_cli import cli as cli  # the fixture, shared
from tests.movein.test_e2e_movein import _accept_documents, _admin_group, _community


async def _reviewed_invitations(session_factory):
    community = await _community(session_factory)
    async with session_factory() as s:
        row = await s.get(Community, community.id)
        row.config = {**row.config, OWNER_REVIEW_KEY: True}
        issued = await issue_unit_invitations(s, row, secret_key=TEST_SECRET, clock=SystemClock())
        await s.commit()
    return {(i.building, i.unit): i.code for i in issued}


async def test_an_invited_owner_is_confirmed_by_the_office(running_bot, emulator, session_factory):
    codes = await _reviewed_invitations(session_factory)
    group = _admin_group(emulator)
    owner = emulator.user(601, "Wei", "Li", language_code="en")

    await owner.send(f"/start i_{codes[('3栋', '1201')]}")
    intro = await owner.expect("Invitation to 3栋-1201")
    await owner.press(intro, "Owner")
    await owner.expect("the property office confirms every owner")
    await owner.expect("Your full name")
    await owner.press_key("Wei Li")
    await owner.expect("phone number")
    await owner.send_contact("8613800001111")
    await owner.expect("ID card")
    await owner.send_photo(jpeg((10, 10, 10)))
    await owner.press(await owner.expect("Received", button="Continue ➡"), "Continue ➡")
    await owner.expect("property certificate")
    await owner.send_photo(jpeg((1, 2, 3)))
    await owner.press(await owner.expect("Received", button="Continue ➡"), "Continue ➡")
    await _accept_documents(owner)
    summary = await owner.expect("Please check your application", button="📨 Submit")
    await owner.press(summary, "📨 Submit")
    await owner.expect("is with the property office")
    async with session_factory() as s:
        pending = await s.scalar(select(Residency))
        assert (pending.status, pending.role) == (ResidencyStatus.PENDING, ResidencyRole.OWNER)

    card = await group.expect("Move-in application #", button="✅ Approve")
    assert "3栋-1201" in card["text"] and "Wei Li" in card["text"]
    await group.press(card, "✅ Approve", from_user=900)
    await owner.expect("Welcome home")
    async with session_factory() as s:
        active = await s.scalar(select(Residency))
        assert (active.status, active.role) == (ResidencyStatus.ACTIVE, ResidencyRole.OWNER)


async def test_an_invited_tenant_still_joins_at_once(running_bot, emulator, session_factory):
    codes = await _reviewed_invitations(session_factory)
    group = _admin_group(emulator)
    tenant = emulator.user(602, "Mei", "Chen", language_code="en")
    await tenant.send(f"/start i_{codes[('3栋', '1202')]}")
    intro = await tenant.expect("Invitation to 3栋-1202")
    await tenant.press(intro, "Tenant")
    await tenant.expect("Until when does your lease run?")
    await tenant.send((date.today() + timedelta(days=200)).isoformat())
    await tenant.expect("Your full name")
    await tenant.press_key("Mei Chen")
    await tenant.expect("phone number")
    await tenant.send_contact("8613800002222")
    await _accept_documents(tenant)
    await tenant.expect("Welcome home")
    await group.expect("joined 3栋-1202 as tenant")


def test_the_operator_turns_it_on_per_community(cli, database_url):
    args = ("--timezone", "Asia/Shanghai", "--currency", "CNY")
    assert cli("community", "add", "翠湖苑", *args, "--owner-invitations-reviewed").exit_code == 0
    assert cli("community", "add", "阳光花园", *args).exit_code == 0

    async def configs(session):
        rows = (await session.execute(select(Community.name, Community.config))).all()
        return {name: owners_reviewed(config) for name, config in rows}

    assert _query(database_url, configs) == {"翠湖苑": True, "阳光花园": False}
