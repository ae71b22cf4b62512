"""`phrase.keys.list` against the emulator while keys are deleted and created during the listing.

Every key that exists for the whole listing must come out exactly once (keys created or deleted
meanwhile may or may not), at fetch-ahead 2 and 4, plain and streaming, over many seeds.
Mutations go through the API of the same emulator (so ETags and totals move as they would),
from a separate client, at random moments of the listing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase

emulator = pytest.importorskip("asyncdam.emulator.phrase")
config_module = pytest.importorskip("asyncdam.emulator.config")

pytestmark = pytest.mark.anyio
BASE = "http://localhost/v2"


class Churn(httpx.AsyncBaseTransport):
    """Forwards to the app; before some listing requests, runs a burst of changes first."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hit: Callable[[httpx.Request], bool]):
        self.inner = inner
        self.hit = hit
        self.burst: Callable[[], Any] | None = None
        self.schedule: set[int] = set()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.hit(request):
            self.count += 1
            if self.burst is not None and self.count in self.schedule:
                await self.burst()
        return await self.inner.handle_async_request(request)


class KeyChurn:
    """Deletes keys anywhere (before, at, after the cursor) and creates keys (new ones last)."""

    def __init__(self, phrase: Phrase, project: str, initial: list[str], seed: int) -> None:
        self.phrase, self.project, self.rng = phrase, project, random.Random(seed)
        self.alive = list(initial)
        self.deleted: set[str] = set()
        self.created: set[str] = set()
        self.serial = 0

    async def burst(self) -> None:
        for _ in range(self.rng.randint(1, 3)):
            if self.alive and self.rng.random() < 0.6:
                victim = self.alive.pop(self.rng.randrange(len(self.alive)))
                await self.phrase.keys.delete(self.project, victim)
                self.deleted.add(victim)
            else:
                self.serial += 1
                key = await self.phrase.keys.create(self.project, name=f"churn.{self.serial}")
                assert key.id is not None
                self.alive.append(key.id)
                self.created.add(key.id)


def check_guarantee(initial: list[str], churn: KeyChurn, got: list[str | None]) -> None:
    assert None not in got
    assert len(got) == len(set(got)), "a key was handed out twice"
    survivors = set(initial) - churn.deleted
    missing = survivors - set(got)
    assert not missing, f"{len(missing)} keys that existed throughout were never handed out"
    assert set(got) <= set(initial) | churn.created


async def run_listing(seed: int, fetch_ahead: int, stream: bool) -> None:
    app = emulator.create_app(
        config_module.EmulatorConfig(seed=1, size=0.3, concurrency=16, quota=10**6)
    )
    raw = httpx.ASGITransport(app=app)
    churn_transport = Churn(raw, lambda r: r.method == "GET" and r.url.path.endswith("/keys"))
    async with (
        Engine(transport=raw) as side_engine,
        Engine(transport=churn_transport) as engine,
    ):
        side = Phrase(token="test-token", base_url=BASE, engine=side_engine)
        projects = [p.id async for p in side.projects.list()]
        project = str(projects[1])  # 90 keys: 9 pages of 10
        initial = [str(k.id) async for k in side.keys.list(project)]
        churn = KeyChurn(side, project, initial, seed)
        rng = random.Random(seed)
        churn_transport.schedule = set(rng.sample(range(1, 14), 3))
        churn_transport.burst = churn.burst
        phrase = Phrase(token="test-token", base_url=BASE, engine=engine, concurrency=fetch_ahead)
        pager = phrase.keys.list(project, per_page=10)
        if stream:
            async with pager:
                got = [k.id async for k in pager]
        else:
            got = [k.id async for k in pager]
    check_guarantee(initial, churn, got)


@pytest.mark.parametrize("fetch_ahead", [2, 4])
async def test_every_surviving_key_exactly_once(fetch_ahead: int) -> None:
    for seed in range(12):
        await run_listing(seed, fetch_ahead, stream=bool(seed % 2))


async def test_keys_list_asks_for_creation_order() -> None:
    seen: list[httpx.URL] = []
    app = emulator.create_app(config_module.EmulatorConfig(seed=1, size=0.3))
    raw = httpx.ASGITransport(app=app)

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.url)
            return await raw.handle_async_request(request)

    async with Engine(transport=Spy()) as engine:
        phrase = Phrase(token="test-token", base_url=BASE, engine=engine)
        project = [p.id async for p in phrase.projects.list()][1]
        keys = [k async for k in phrase.keys.list(str(project))]
        named = [k async for k in phrase.keys.list(str(project), sort="name")]
    lists = [u for u in seen if u.path.endswith("/keys")]
    assert lists[0].params["sort"] == "created_at" and lists[0].params["order"] == "asc"
    assert [k.created_at for k in keys] == sorted(k.created_at for k in keys)
    assert lists[-1].params["sort"] == "name" and "order" not in lists[-1].params
    assert sorted(k.id or "" for k in named) == sorted(k.id or "" for k in keys)
