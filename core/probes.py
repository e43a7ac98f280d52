"""``/livez``, ``/readyz`` and ``/metrics`` for every process that serves HTTP.

- ``/livez``: the process answers (its event loop runs). A failure means restart it.
- ``/readyz``: it can do its work now — the database answers, its schema is at the
  migrations' heads (or newer: during a rolling upgrade the old processes keep
  serving a schema the migrate job already moved on), and Redis answers when the
  settings use it. A replica that loses its database says 503 here, so the balancer
  stops sending it updates or gate requests instead of each one failing.
- ``/metrics``: Prometheus text format (:mod:`core.metrics`).

The webhook port (``bot.webhook``), the gate API (``access.api``) and, for the
scheduler or long polling, ``COURTYARD_METRICS_PORT`` (:func:`serve_probes`) add
these routes with :func:`add_probe_routes`. Decision 0022.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import Connection, text

from core.metrics import DEPTHS

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0

RevisionReader = Callable[[], Awaitable[set[str]]]


def current_revisions(conn: Connection) -> set[str]:
    """The revisions the database is at (one per migration branch)."""
    return {str(row[0]) for row in conn.execute(text("SELECT version_num FROM alembic_version"))}


@functools.cache
def _script() -> Any:
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@functools.cache
def _script_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The heads of the migrations shipped with this code, and every revision known."""
    script = _script()
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return frozenset(script.get_heads()), known


@functools.cache
def _applied(revisions: frozenset[str]) -> frozenset[str]:
    """Every revision a database at ``revisions`` has: they and their ancestors. A
    head another branch depends on is not kept in ``alembic_version`` (alembic
    records only the revisions nothing applied depends on)."""
    revision_map = _script().revision_map
    found = revision_map.get_revisions(tuple(revisions))
    return frozenset(
        rev.revision for rev in revision_map._get_ancestor_nodes(found) if rev is not None
    )


def schema_state(revisions: set[str]) -> str:
    """``current``, ``newer`` (a later release migrated it) or ``behind`` (migrate first)."""
    heads, known = _script_revisions()
    if revisions - known:
        return "newer"
    if heads <= _applied(frozenset(revisions)):
        return "current"
    return "behind"


async def redis_answers(url: str) -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        return bool(await client.ping())
    finally:
        await client.aclose()


@dataclass
class Readiness:
    """What ``/readyz`` checks in this process."""

    revisions: RevisionReader
    redis_url: str | None = None
    # Processes that are stopping (webhook drain) answer 503 here too.
    stopping: Callable[[], bool] = lambda: False

    async def check(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = {}
        ready = True
        if self.stopping():
            body["status"] = "stopping"
            return False, body
        try:
            revisions = await asyncio.wait_for(self.revisions(), CHECK_TIMEOUT_S)
        except Exception as exc:  # unreachable, dropped, no schema at all: all "down"
            log.warning("readiness: database", extra={"fields": {"error": _short(exc)}})
            body["database"] = "down"
            ready = False
        else:
            body["database"] = "ok"
            body["schema"] = schema_state(revisions)
            ready = body["schema"] != "behind"
        if self.redis_url:
            try:
                await asyncio.wait_for(redis_answers(self.redis_url), CHECK_TIMEOUT_S)
            except Exception as exc:
                log.warning("readiness: redis", extra={"fields": {"error": _short(exc)}})
                body["redis"] = "down"
                ready = False
            else:
                body["redis"] = "ok"
        body["status"] = "ok" if ready else "unavailable"
        return ready, body


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200] or type(exc).__name__


DepthRefresher = Callable[[], Awaitable[None]]


def add_probe_routes(
    app: web.Application,
    readiness: Readiness,
    *,
    depths: DepthRefresher | None = None,
    prefix: str = "",
) -> None:
    """``{prefix}/livez``, ``{prefix}/readyz`` and ``{prefix}/metrics`` on ``app``;
    ``depths`` refreshes the outbox and spool gauges before a scrape (bot processes)."""

    async def livez(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        ready, body = await readiness.check()
        return web.json_response(body, status=200 if ready else 503)

    async def metrics(_request: web.Request) -> web.Response:
        payload = generate_latest(REGISTRY)
        if depths is not None:
            try:
                await asyncio.wait_for(depths(), CHECK_TIMEOUT_S)
            except Exception as exc:  # the database is down: /readyz says so
                log.warning("metrics: depths", extra={"fields": {"error": _short(exc)}})
            else:
                payload += generate_latest(DEPTHS)
        response = web.Response(body=payload)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app.router.add_get(f"{prefix}/livez", livez)
    app.router.add_get(f"{prefix}/readyz", readyz)
    app.router.add_get(f"{prefix}/metrics", metrics)


async def serve_probes(
    readiness: Readiness, host: str, port: int, *, depths: DepthRefresher | None = None
) -> web.AppRunner:
    """A small server with only the probes and metrics (the scheduler, long polling)."""
    app = web.Application()
    add_probe_routes(app, readiness, depths=depths)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_address=True).start()
    log.info("probes listening", extra={"fields": {"host": host, "port": port}})
    return runner
