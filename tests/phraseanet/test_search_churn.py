"""`pn.records.search()` (a full listing) against the emulator while records come and go.

Every record that exists for the whole listing must come out exactly once (records created or
deleted meanwhile may or may not), at fetch-ahead 2 and 4, plain and streaming, over many seeds,
on asyncio and trio. Changes go through the emulator's API from a second client at random
moments of the listing. The search is a POST without ETags: a reconciliation pass costs full
pages here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import create_app
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import Phraseanet

from .conftest import BASE, TOKEN, RunAsync


class Churn(httpx.AsyncBaseTransport):
    """Forwards to the app; before some search requests, runs a burst of changes first."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.burst: Callable[[], Any] | None = None
        self.schedule: set[int] = set()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/search/"):
            self.count += 1
            if self.burst is not None and self.count in self.schedule:
                await self.burst()
        return await self.inner.handle_async_request(request)


async def _listing(seed: int, fetch_ahead: int, stream: bool) -> None:
    app = create_app(EmulatorConfig(token=TOKEN, size=0.05))
    raw = emulator_transport(app)
    churn = Churn(raw)
    rng = random.Random(seed)
    async with (
        Engine(transport=raw) as side_engine,
        Engine(transport=churn) as engine,
        Phraseanet(BASE, engine=side_engine, token=TOKEN) as side,
        Phraseanet(BASE, engine=engine, token=TOKEN, concurrency=fetch_ahead) as pn,
    ):
        initial = [r.key async for r in side.records.search()]
        alive, deleted, created = list(initial), set(), set()

        async def burst() -> None:
            for _ in range(rng.randint(1, 3)):
                if alive and rng.random() < 0.6:
                    victim = alive.pop(rng.randrange(len(alive)))
                    await side.records.delete(*victim)
                    deleted.add(victim)
                else:
                    made = await side.records.create_v3(1, body={"title": "churn"})
                    key = tuple(int(part) for part in (made.url or "").rstrip("/").split("/")[-2:])
                    alive.append(key)
                    created.add(key)

        churn.schedule = set(rng.sample(range(1, 16), 3))
        churn.burst = burst
        pager = pn.records.search(per_page=10)
        if stream:
            async with pager:
                got = [r.key async for r in pager]
        else:
            got = [r.key async for r in pager]
    assert len(got) == len(set(got)), "a record was handed out twice"
    missing = set(initial) - deleted - set(got)
    assert not missing, f"records that existed throughout were never handed out: {missing}"
    assert set(got) <= set(initial) | created


@pytest.mark.parametrize("fetch_ahead", [2, 4])
def test_every_surviving_record_exactly_once(run_async: RunAsync, fetch_ahead: int) -> None:
    async def flow() -> None:
        for seed in range(6):
            await _listing(seed, fetch_ahead, stream=bool(seed % 2))

    run_async(flow)
