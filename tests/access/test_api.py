"""The gate terminal HTTP API over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select

from access.api import OPENAPI, serve
from access.models import GateEvent
from tests.access.helpers import visitor_pass


@pytest.fixture
async def api(runtime) -> AsyncIterator[str]:
    runner = await serve(runtime, "127.0.0.1", 0)
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_verify_code_then_reuse_is_denied(session, site, runtime, clock, api, http):
    issued = await visitor_pass(session, site, clock.now())
    gid, key = site.gate_ids["东门"], site.keys["东门"]
    url = f"{api}/v1/gates/{gid}/verify"
    async with http.post(
        url, json={"code": issued.code, "terminal": "east-1"}, headers=auth(key)
    ) as r:
        assert r.status == 200
        body = await r.json()
    assert body["granted"] is True and body["reason"] == "ok" and body["door"] == "released"
    assert body["holder"] == "张三" and body["pass_kind"] == "visitor"
    assert isinstance(body["decision_id"], int)
    async with http.post(url, json={"code": issued.code}, headers=auth(key)) as r:
        body = await r.json()
    assert r.status == 200 and body == {
        **body,
        "granted": False,
        "reason": "used",
        "door": "not_commanded",
    }


async def test_lockout_answers_wait(session, site, runtime, clock, api, http):
    issued = await visitor_pass(session, site, clock.now())
    gid, key = site.gate_ids["北门"], site.keys["北门"]
    url = f"{api}/v1/gates/{gid}/verify"
    wrong = f"{(int(issued.code) + 7) % 10**8:08d}"
    for _ in range(5):
        async with http.post(url, json={"code": wrong}, headers=auth(key)) as r:
            assert r.status == 200
    async with http.post(url, json={"code": issued.code}, headers=auth(key)) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "720"
        body = await r.json()
    assert body["granted"] is False and body["reason"] == "locked_out"
    assert body["retry_after_s"] == 720


async def test_keys_are_per_gate(session, site, api, http):
    east, north = site.gate_ids["东门"], site.gate_ids["北门"]
    for headers in ({}, auth("gk_wrong"), auth(site.keys["北门"]), {"Authorization": "Basic x"}):
        async with http.post(
            f"{api}/v1/gates/{east}/verify", json={"code": "12345678"}, headers=headers
        ) as r:
            assert r.status == 401
            assert (await r.json())["error"] == "unauthorized"
    async with http.post(
        f"{api}/v1/gates/999999/verify", json={"code": "12345678"}, headers=auth(site.keys["东门"])
    ) as r:
        assert r.status == 401
    async with http.post(
        f"{api}/v1/gates/{north}/verify", json={"code": "12345678"}, headers=auth(site.keys["北门"])
    ) as r:
        assert r.status == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b'{"code": 12345678}', 400),
        (b'{"code": "12ab5678"}', 400),
        (b'{"code": "12345678", "qr": "abc"}', 400),
        (b"{}", 400),
        (b'{"code": "12345678", "extra": 1}', 400),
        (b'{"code": "12345678", "direction": "sideways"}', 400),
        (b'{"code": "12345678", "terminal": "has space"}', 400),
        (b'{"qr": ""}', 400),
        (b"\xff\xfe", 400),
    ],
)
async def test_malformed_requests_get_json_4xx(site, api, http, body, status):
    gid = site.gate_ids["东门"]
    async with http.post(
        f"{api}/v1/gates/{gid}/verify",
        data=body,
        headers={**auth(site.keys["东门"]), "Content-Type": "application/json"},
    ) as r:
        assert r.status == status
        assert "error" in await r.json()


async def test_other_errors_are_json(site, api, http):
    key = auth(site.keys["东门"])
    for method, path, status in (
        ("GET", "/v1/gates/1/verify", 405),
        ("POST", "/v1/nowhere", 404),
        ("POST", "/v1/gates/abc/verify", 400),
        ("POST", "/v1/gates/0/verify", 400),
        ("POST", "/v1/gates/99999999999999999999999/verify", 400),
    ):
        async with http.request(method, api + path, json={"code": "1"}, headers=key) as r:
            assert r.status == status, path
            assert "error" in await r.json()
    async with http.post(
        f"{api}/v1/gates/{site.gate_ids['东门']}/verify",
        data=b"{" + b" " * (5 * 1024 * 1024) + b"}",
        headers=key,
    ) as r:
        assert r.status == 413
        assert (await r.json())["error"] == "too_large"


async def test_events_are_recorded_and_alerted(session, site, runtime, api, http, notifier):
    gid = site.gate_ids["东门"]
    async with http.post(
        f"{api}/v1/gates/{gid}/events",
        json={"type": "door_forced", "details": "east leaf", "terminal": "e1"},
        headers=auth(site.keys["东门"]),
    ) as r:
        assert r.status == 202
        body = await r.json()
    await runtime.drain()
    assert [a.type for a in notifier.alarms] == ["door_forced"]
    event = await session.get(GateEvent, body["event_id"])
    assert event.details == "east leaf" and event.terminal == "e1"
    async with http.post(
        f"{api}/v1/gates/{gid}/events", json={"type": "fire"}, headers=auth(site.keys["东门"])
    ) as r:
        assert r.status == 400
    assert len((await session.scalars(select(GateEvent))).all()) == 1


async def test_health_and_openapi(api, http):
    async with http.get(f"{api}/v1/health") as r:
        assert r.status == 200 and (await r.json())["database"] == "ok"
    async with http.get(f"{api}/v1/openapi.json") as r:
        assert (await r.json()) == OPENAPI


async def test_running_server_conforms_to_its_openapi_document(session, site, clock, api):
    """Schemathesis generates valid and invalid requests from the document and checks
    every answer against it (status codes, content types, schemas; never a 5xx)."""
    await visitor_pass(session, site, clock.now(), multi=True)
    gid, key = site.gate_ids["东门"], site.keys["东门"]

    def run() -> int:
        import schemathesis
        from hypothesis import HealthCheck, given, settings
        from schemathesis import GenerationMode

        schema = schemathesis.openapi.from_dict(OPENAPI)
        count = 0
        for mode, fixed in (
            (GenerationMode.POSITIVE, True),
            (GenerationMode.NEGATIVE, True),
            (GenerationMode.POSITIVE, False),
        ):
            kwargs = {"path_parameters": {"gate": gid}, "headers": auth(key)} if fixed else {}
            strategy = schema.as_strategy(mode, **kwargs)

            @settings(
                max_examples=60,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case) -> None:
                nonlocal count
                if mode == GenerationMode.NEGATIVE and case.media_type != "application/json":
                    # A "schema-invalid" face image is just other bytes on the wire.
                    return
                case.call_and_validate(base_url=api)
                count += 1

            check()
        return count

    assert await asyncio.to_thread(run) >= 60


async def test_deeply_nested_json_is_a_clear_400(session, site, api, http):
    """`[[[[…]]]]` 100,000 levels deep once raised RecursionError: a 500."""
    gid, key = site.gate_ids["北门"], site.keys["北门"]
    for depth, endpoint in ((100_000, "verify"), (100_000, "events"), (5_000, "verify")):
        body = ("[" * depth + "]" * depth).encode()
        headers = {**auth(key), "Content-Type": "application/json"}
        async with http.post(f"{api}/v1/gates/{gid}/{endpoint}", data=body, headers=headers) as r:
            assert r.status == 400, (endpoint, depth)
            assert (await r.json())["error"] == "malformed"
        nested_object = ('{"a":' * depth + "1" + "}" * depth).encode()
        async with http.post(
            f"{api}/v1/gates/{gid}/{endpoint}", data=nested_object, headers=headers
        ) as r:
            assert r.status == 400, (endpoint, depth)
