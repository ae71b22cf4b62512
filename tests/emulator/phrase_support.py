"""Shared helpers for the Phrase emulator tests: app factory, fake clock, clients."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.phrase import BASE_PATH, create_app

TOKEN = "test-token"
UA = "asyncdam-tests (dev@example.com)"
START = 1_800_000_000.0


class FakeClock:
    """A settable clock for app.state.clock."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_app(
    size: float = 0.05,
    quota: int | None = None,
    window: float | None = None,
    concurrency: int | None = None,
    faults: FaultConfig | None = None,
    seed: int = 0,
) -> tuple[Starlette, FakeClock]:
    """A small seeded app with a fake clock."""
    config = EmulatorConfig(
        seed=seed,
        token=TOKEN,
        quota=quota,
        window=window,
        concurrency=concurrency,
        size=size,
        faults=faults or FaultConfig(),
    )
    app = create_app(config)
    clock = FakeClock()
    app.state.clock = clock
    return app, clock


def client(app: Starlette, auth: bool = True, **headers: str) -> httpx.AsyncClient:
    """An httpx client on the app's /v2 base, with the token header unless `auth` is False."""
    sent = {"User-Agent": UA}
    if auth:
        sent["Authorization"] = f"token {TOKEN}"
    sent.update(headers)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=f"http://127.0.0.1{BASE_PATH}",
        headers=sent,
    )


def basic(user: str, password: str) -> str:
    """A Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def main_project(c: httpx.AsyncClient) -> dict[str, Any]:
    """The seeded main project (the first one listed)."""
    resp = await c.get("/projects")
    assert resp.status_code == 200
    project: dict[str, Any] = resp.json()[0]
    assert project["name"] == "Main App"
    return project
