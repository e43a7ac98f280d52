"""A gate agent passes walk-ins and intercom calls on to the server, and says plainly
when the server is away (a household is rung through the server)."""

from __future__ import annotations

from tests.agent.test_outage import _synced_to


async def test_calls_go_through_the_agent_or_are_refused_offline(
    session, world, server, agent_factory
) -> None:
    east, key = world.gates["东门"], world.keys["东门"]
    agent = agent_factory(server.url, world.agent_id, world.agent_key, world.agent_secret)
    agent.start()
    await _synced_to(agent, session)
    # Forwarded: the server answers (this one has no walk-in desk: 409, its own words).
    online = await agent.post(east, key, "calls", {"unit": "1栋-101"})
    assert online["http_status"] == 409 and online["error"] == "not_available"
    await server.stop()
    offline = await agent.post(east, key, "calls", {"unit": "1栋-101"})
    assert offline["http_status"] == 503 and "guard" in offline["detail"]
    wrong_key = await agent.post(east, "nope", "walkins", {"unit": "1栋-101", "name": "X"})
    assert wrong_key["http_status"] == 401
