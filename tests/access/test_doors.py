"""Door drivers: MQTT against the real mosquitto on 127.0.0.1:1883, HTTP against a
local relay stub, and what a failing door does to a decision."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator

import aiomqtt
import pytest
from aiohttp import web
from sqlalchemy import select

from access.doors import DoorConfigError, DoorError, HttpDoor, MqttDoor, build_driver
from access.gates import create_gate
from access.models import AccessLogEntry, DoorDriverKind, Gate
from access.verification import Credential, DoorOutcome
from tests.access.helpers import visitor_pass
from tests.conftest import TEST_SECRET


async def _broker_up() -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 1883), 1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


@pytest.fixture
async def topic() -> AsyncIterator[str]:
    if not await _broker_up():
        pytest.fail("mosquitto is not running on 127.0.0.1:1883 (scripts/services.sh starts it)")
    name = f"courtyard-test/{secrets.token_hex(6)}/door"
    yield name
    # Clear the retained mode message so the broker does not keep test state.
    async with aiomqtt.Client("127.0.0.1", 1883) as client:
        await client.publish(name, b"", retain=True)


async def _collect(topic: str, count: int, action) -> list[aiomqtt.Message]:
    messages: list[aiomqtt.Message] = []
    async with aiomqtt.Client("127.0.0.1", 1883) as sub:
        await sub.subscribe(topic, qos=1)
        await action()

        async def read() -> None:
            async for message in sub.messages:
                messages.append(message)
                if len(messages) == count:
                    return

        await asyncio.wait_for(read(), 5)
    return messages


async def test_mqtt_release_publishes_a_pulse_command(topic):
    door = MqttDoor(7, {"topic": topic, "pulse_ms": 1500})
    try:
        messages = await _collect(topic, 2, lambda: _release_twice(door))
    finally:
        await door.close()
    bodies = [json.loads(m.payload) for m in messages]
    assert bodies[0] == {"command": "release", "pulse_ms": 1500, "gate": 7, "reason": "code:1"}
    assert bodies[1]["reason"] == "code:2"
    assert not messages[0].retain


async def _release_twice(door: MqttDoor) -> None:
    await door.release(reason="code:1")
    await door.release(reason="code:2")


async def test_mqtt_emergency_mode_is_retained(topic):
    door = MqttDoor(8, {"topic": topic})
    try:
        await door.hold_open()
    finally:
        await door.close()
    # A controller that connects later still learns the door must stay open.
    async with aiomqtt.Client("127.0.0.1", 1883) as late:
        await late.subscribe(topic, qos=1)
        message = await asyncio.wait_for(anext(late.messages), 5)
    assert json.loads(message.payload) == {"command": "hold_open", "gate": 8}
    assert message.retain


async def test_mqtt_unreachable_broker_is_a_door_error():
    door = MqttDoor(9, {"topic": "x/door", "port": 1, "timeout_s": 0.5})
    with pytest.raises(DoorError):
        await door.release()
    await door.close()


@pytest.fixture
async def relay() -> AsyncIterator[tuple[str, list[dict], dict]]:
    """A relay controller stub: records commands; ``state["status"]`` sets its answer."""
    received: list[dict] = []
    state = {"status": 200, "auth": None}

    async def command(request: web.Request) -> web.Response:
        state["auth"] = request.headers.get("Authorization")
        received.append(await request.json())
        return web.json_response({"ok": state["status"] == 200}, status=state["status"])

    app = web.Application()
    app.router.add_post("/relay/1", command)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/relay/1", received, state
    finally:
        await runner.cleanup()


async def test_http_driver_posts_commands(relay):
    url, received, state = relay
    door = HttpDoor(3, {"url": url, "pulse_ms": 800, "token": "s3cret"})
    try:
        await door.release(reason="qr:5")
        await door.hold_open()
        await door.restore()
        state["status"] = 503
        with pytest.raises(DoorError):
            await door.release()
    finally:
        await door.close()
    assert received[:3] == [
        {"action": "release", "gate": 3, "pulse_ms": 800, "reason": "qr:5"},
        {"action": "hold_open", "gate": 3},
        {"action": "normal", "gate": 3},
    ]
    assert state["auth"] == "Bearer s3cret"


async def test_http_driver_timeout_is_a_door_error():
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    door = HttpDoor(4, {"url": f"http://127.0.0.1:{runner.addresses[0][1]}/", "timeout_s": 0.2})
    try:
        with pytest.raises(DoorError):
            await door.release()
    finally:
        await door.close()
        await runner.cleanup()


def test_driver_settings_are_validated():
    for kind, config in (
        ("mqtt", {}),
        ("mqtt", {"topic": "a/#"}),
        ("mqtt", {"topic": "a", "port": "x"}),
        ("http", {"url": "ftp://relay"}),
        ("http", {"url": "http://relay", "pulse_ms": 10}),
        ("serial", {}),
    ):
        with pytest.raises(DoorConfigError):
            build_driver(kind, 1, config)


async def test_granted_code_through_an_mqtt_gate(session, site, runtime, clock, topic):
    created = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=site.community.id,
        name="MQTT 门",
        driver=DoorDriverKind.MQTT,
        driver_config={"topic": topic, "pulse_ms": 700},
    )
    await session.commit()
    issued = await visitor_pass(session, site, clock.now())
    gate = await runtime.gates.get(created.gate.id)

    decisions = []

    async def verify() -> None:
        decisions.append(await runtime.verify(gate, Credential.code(issued.code)))

    messages = await _collect(topic, 1, verify)
    assert decisions[0].granted and decisions[0].door == DoorOutcome.RELEASED
    assert json.loads(messages[0].payload)["pulse_ms"] == 700


async def test_unreachable_relay_means_granted_door_failed(session, site, runtime, clock, notifier):
    created = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=site.community.id,
        name="HTTP 门",
        driver=DoorDriverKind.HTTP,
        driver_config={"url": "http://127.0.0.1:9/", "timeout_s": 0.3},
    )
    await session.commit()
    issued = await visitor_pass(session, site, clock.now())
    gate = await runtime.gates.get(created.gate.id)
    d = await runtime.verify(gate, Credential.code(issued.code))
    assert d.granted and d.door == DoorOutcome.FAILED
    await runtime.drain()
    assert notifier.door_failures[0].gate.id == gate.id
    reasons = list(await session.scalars(select(AccessLogEntry.reason).order_by(AccessLogEntry.id)))
    assert reasons == ["ok", "door_failed"]


async def test_a_sealed_relay_token_reaches_the_relay(session, site, runtime, clock, relay):
    """The token is stored sealed, and opened only to build the driver."""
    url, received, state = relay
    created = await create_gate(
        session,
        secret_key=TEST_SECRET,
        community_id=site.community.id,
        name="继电器门",
        driver=DoorDriverKind.HTTP,
        driver_config={"url": url, "token": "relay-s3cret", "pulse_ms": 600},
    )
    await session.commit()
    stored = await session.scalar(select(Gate.driver_config).where(Gate.id == created.gate.id))
    assert stored["url"] == url and stored["token"].startswith("sealed:v1:")
    assert "relay-s3cret" not in json.dumps(stored)

    issued = await visitor_pass(session, site, clock.now())
    gate = await runtime.gates.get(created.gate.id)
    decision = await runtime.verify(gate, Credential.code(issued.code))
    assert decision.granted and decision.door == DoorOutcome.RELEASED
    assert state["auth"] == "Bearer relay-s3cret"
    assert received[0]["action"] == "release" and received[0]["pulse_ms"] == 600


async def test_a_door_secret_that_does_not_open_fails_closed(
    session, site, runtime, clock, notifier
):
    """Sealed under another secret key (changed by mistake): the door is not
    commanded, the decision says so, staff hear."""
    created = await create_gate(
        session,
        secret_key="the key it was sealed with",
        community_id=site.community.id,
        name="继电器门",
        driver=DoorDriverKind.HTTP,
        driver_config={"url": "http://127.0.0.1:9/", "token": "relay-s3cret"},
    )
    await session.commit()
    issued = await visitor_pass(session, site, clock.now())
    gate = await runtime.gates.get(created.gate.id)
    decision = await runtime.verify(gate, Credential.code(issued.code))
    assert decision.granted and decision.door == DoorOutcome.FAILED
    await runtime.drain()
    assert notifier.door_failures[0].gate.id == gate.id


def test_sealing_keeps_other_settings_and_binds_the_name():
    from access.doors.sealing import open_driver_config, seal_driver_config

    config = {"topic": "gate/1", "password": "pw", "token": "tk", "pulse_ms": 900}
    sealed = seal_driver_config(config, TEST_SECRET)
    assert sealed["topic"] == "gate/1" and sealed["pulse_ms"] == 900
    assert sealed["password"] != "pw" and seal_driver_config(sealed, TEST_SECRET) == sealed
    assert open_driver_config(sealed, TEST_SECRET) == config
    swapped = {**sealed, "token": sealed["password"]}  # moved into another setting
    with pytest.raises(DoorConfigError):
        open_driver_config(swapped, TEST_SECRET)
    with pytest.raises(DoorConfigError):
        open_driver_config(sealed, "another secret key")
