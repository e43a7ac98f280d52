"""The operator's commands: add an agent (its key shown once), set a gate's offline
policy, list agents."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from bot.cli import main
from tests.conftest import TEST_SECRET


def test_agents_add_policy_list(database_url, monkeypatch) -> None:
    from access.gates import create_gate
    from core.db import create_engine, create_session_factory
    from tests.factories import make_community

    async def seed() -> None:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            community = await make_community(session, "阳光花园")
            for name in ("东门", "北门"):
                await create_gate(
                    session, secret_key=TEST_SECRET, community_id=community.id, name=name
                )
            await session.commit()
        await engine.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("COURTYARD_DATABASE_URL", database_url)
    monkeypatch.setenv("COURTYARD_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COURTYARD_LOG_FORMAT", "text")
    runner = CliRunner()
    added = runner.invoke(main, ["gate-agents", "add", "阳光花园", "guard house", "东门", "北门"])
    assert added.exit_code == 0, added.output
    key = added.output.split("give it to the agent now): ")[1].split()[0]
    assert key.startswith("ga_")
    secret = added.output.split("give it to the agent now): ")[2].split()[0]
    assert secret.startswith("gs_") and TEST_SECRET not in secret
    agent_id = added.output.split("(id ")[1].split(",")[0]
    rotated = runner.invoke(main, ["gate-agents", "rotate-secret", agent_id])
    assert rotated.exit_code == 0, rotated.output
    assert "gs_" in rotated.output and secret not in rotated.output
    missing = runner.invoke(main, ["gate-agents", "rotate-secret", "999"])
    assert missing.exit_code == 2 and "no such gate agent" in missing.output
    unknown = runner.invoke(main, ["gate-agents", "add", "阳光花园", "x", "南门"])
    assert unknown.exit_code == 1 and "no gate named" in unknown.output

    policy = runner.invoke(
        main,
        [
            "gate-agents",
            "policy",
            "阳光花园",
            "东门",
            "--single-use",
            "refuse",
            "--max-offline",
            "30",
        ],
    )
    assert policy.exit_code == 0, policy.output
    assert "refused" in policy.output and "30 min" in policy.output
    shown = runner.invoke(main, ["gate-agents", "policy", "阳光花园", "北门"])
    assert "consumed" in shown.output and "240 min" in shown.output
    assert "only residents' gate QR codes and emergency open" in shown.output

    listed = runner.invoke(main, ["gate-agents", "list", "阳光花园"])
    assert "guard house" in listed.output and "never" in listed.output
    assert key not in listed.output
    disabled = runner.invoke(main, ["gate-agents", "disable", agent_id])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    listed = runner.invoke(main, ["gate-agents", "list", "阳光花园"])
    assert "disabled" in listed.output
