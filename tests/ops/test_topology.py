"""What docker-compose.yml describes, started as plain processes: the suite runs what
the files say.

The roles, their commands, their replica counts, their start order, their settings and
their secrets are read from docker-compose.yml — nothing here repeats them. Only what
a host changes is changed: the secrets directory (the same file names, in a temporary
folder), the hosts of PostgreSQL and Redis (this test's own database and Redis
database), the ports (free ones, so two webhook replicas fit on one host), the Bot
API (the emulator) and the spool folder. Then:

- the migrate step runs first and exits 0;
- every other process answers ``/readyz`` (database at head, Redis answers), and the
  image's own HEALTHCHECK command, taken from the Dockerfile, passes against it;
- the Kubernetes workloads run the same commands as the compose services.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import TEST_TOKEN
from tests.replicas.cluster import Proc
from tests.replicas.conftest import free_port, scratch_pg_url  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
#: A Redis database of this test's own (the processes' keys have fixed names).
REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")
#: What the operator exports before `docker compose up` (the rest have defaults).
HOST_VARIABLES = {"COURTYARD_DOMAIN": "bot.example.test"}


def _interpolate(value: str) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``."""

    def one(found: re.Match[str]) -> str:
        name, kind, default = found.group(1), found.group(2), found.group(3) or ""
        if name in HOST_VARIABLES:
            return HOST_VARIABLES[name]
        assert kind == ":-", f"{name} must be set on the host"
        return default

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))


def _ours(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if "courtyard" in str(s.get("image"))}


def _healthcheck() -> list[str]:
    """The Dockerfile's HEALTHCHECK command (exec form)."""
    text = (ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    found = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])$", text, re.M)
    assert found is not None
    return list(json.loads(found.group(1)))


def test_kubernetes_runs_the_roles_compose_runs() -> None:
    commands = {tuple(s["command"]) for s in _ours(_compose()).values()}
    args = set()
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            if doc and doc["kind"] in ("Deployment", "Job"):
                (container,) = doc["spec"]["template"]["spec"]["containers"]
                args.add(tuple(container["args"]))
    assert args == commands


def _start_order(services: dict[str, dict[str, Any]]) -> list[str]:
    """Services after the ones they depend on (among ours)."""
    order: list[str] = []
    while len(order) < len(services):
        for name, service in services.items():
            needs = [d for d in service.get("depends_on", {}) if d in services]
            if name not in order and all(d in order for d in needs):
                order.append(name)
    return order


def _environment(
    service: dict[str, Any], secrets_dir: Path, tmp: Path, emulator_url: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The service's environment with the host's changes; and old → new ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURTYARD_")}
    ports: dict[str, str] = {}
    for name, value in service["environment"].items():
        value = _interpolate(str(value))
        if name.endswith("_PORT"):
            ports[value] = str(free_port())
            value = ports[value]
        env[name] = value
    env.update(
        COURTYARD_SECRETS_DIR=str(secrets_dir),
        COURTYARD_REDIS_URL=REDIS_URL,
        COURTYARD_SPOOL_DIR=str(tmp / "spool"),
        COURTYARD_SECRET_KEY_FILE=str(tmp / "key"),
        COURTYARD_TELEGRAM_API=emulator_url,
        COURTYARD_LOG_FORMAT="text",
    )
    if "COURTYARD_PROBE_URL" in env:
        url = env["COURTYARD_PROBE_URL"]
        for old, new in ports.items():
            url = url.replace(f":{old}/", f":{new}/")
        env["COURTYARD_PROBE_URL"] = url
    return env, ports


async def _ready(proc: Proc, url: str, within: float = 240) -> dict[str, Any]:
    def get() -> tuple[int, dict[str, Any]]:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, json.loads(answer.read())

    for _ in range(int(within * 2)):
        assert proc.proc is not None
        if proc.proc.poll() is not None:
            raise AssertionError(f"{proc.name} exited {proc.proc.returncode}:\n{proc.tail()}")
        try:
            status, body = await asyncio.to_thread(get)
        except OSError:
            status, body = 0, {}
        if status == 200:
            return body
        await asyncio.sleep(0.5)
    raise AssertionError(f"{proc.name} not ready at {url}:\n{proc.tail()}")


@pytest.mark.postgres
@pytest.mark.slow
async def test_the_compose_topology_as_plain_processes(
    tmp_path: Path,
    scratch_pg_url: str,  # noqa: F811 - the fixture imported above
    emulator: Any,
) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    finally:
        await client.aclose()
    compose = _compose()
    services = _ours(compose)
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    values = {
        "courtyard_bot_token": TEST_TOKEN,
        "courtyard_secret_key": "ops-topology-secret-key",
        "courtyard_webhook_secret": "ops-topology-webhook-secret",
        "courtyard_database_url": scratch_pg_url,
    }
    for name in {s for service in services.values() for s in service["secrets"]}:
        (secrets_dir / name).write_text(values[name] + "\n")
    started: list[Proc] = []
    try:
        for name in _start_order(services):
            service = services[name]
            replicas = service.get("deploy", {}).get("replicas", 1)
            for n in range(replicas):
                env, _ = _environment(service, secrets_dir, tmp_path, emulator.base_url)
                proc = Proc(f"{name}{n}", list(service["command"]), env, tmp_path)
                started.append(proc.start())
                if service.get("restart") == "no":  # a step: the others wait for its end
                    assert await proc.exit_code(within=240) == 0, proc.tail()
        running = [p for p in started if p.proc is not None and p.proc.returncode is None]
        assert sorted(p.name for p in running) == [
            "gate-api0",
            "scheduler0",
            "webhook0",
            "webhook1",
        ]
        check = [sys.executable if c == "python" else c for c in _healthcheck()]
        for proc in running:
            live = proc.env["COURTYARD_PROBE_URL"]
            body = await _ready(proc, live.replace("/livez", "/readyz"))
            assert body["status"] == "ok", (proc.name, body)
            # The image's HEALTHCHECK, as Docker would run it in this container.
            health = await asyncio.to_thread(
                subprocess.run, check, env=proc.env, capture_output=True, timeout=30
            )
            assert health.returncode == 0, (proc.name, health.stderr)
    finally:
        for proc in reversed(started):
            proc.stop()
