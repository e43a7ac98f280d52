"""A webhook process and a gate API in this event loop, on real ports, and reading
their /metrics (tests/ops)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from access.api import serve
from bot.app import Application, build_application
from bot.settings import Settings
from bot.webhook import build_webhook_app

SECRET = "ops-webhook-secret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@dataclass
class Site:
    app: Application
    webhook: str  # http://127.0.0.1:PORT
    gate_api: str
    http: aiohttp.ClientSession
    path: str

    async def post_update(self, update: dict[str, Any]) -> int:
        url = self.webhook + self.path
        async with self.http.post(url, json=update, headers=HEADERS) as response:
            return response.status

    async def get(self, url: str) -> tuple[int, Any]:
        async with self.http.get(url) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def samples(self, base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of ``base``/metrics: (name, sorted labels) → value."""
        status, body = await self.get(base + "/metrics")
        assert status == 200
        found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return found


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def text_update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "W", "language_code": "en"},
            "text": text,
        },
    }


async def _listen(web_app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def site(settings: Settings, emulator: Any) -> AsyncIterator[Site]:
    """The webhook app and the gate API of one application (not migrated here)."""
    settings = settings.model_copy(
        update={"telegram_api": emulator.base_url, "webhook_secret": SecretStr(SECRET)}
    )
    app = await build_application(
        settings, migrate=False, start_scheduler=False, start_services=False
    )
    runner, webhook = await _listen(build_webhook_app(app))
    gate_runner = await serve(app.ctx.gate, "127.0.0.1", 0)
    gate_api = f"http://127.0.0.1:{gate_runner.addresses[0][1]}"
    try:
        with app.ctx.i18n.context():
            async with aiohttp.ClientSession() as http:
                yield Site(app, webhook, gate_api, http, settings.webhook_path)
    finally:
        await gate_runner.cleanup()
        await runner.cleanup()
        await app.close()
