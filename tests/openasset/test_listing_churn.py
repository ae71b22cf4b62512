"""`oa.keywords.list` against the emulator while keywords are deleted and created meanwhile.

Every keyword that exists for the whole listing must come out exactly once (ones created or
deleted meanwhile may or may not), at fetch-ahead 2 and 4, plain and streaming, over many seeds,
on asyncio and trio. Changes go through the emulator's API from a second client, at random
moments of the listing (before, at and after the cursor).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import create_app
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset

from .conftest import BASE, SECRET, TOKEN_ID, RunAsync


class Churn(httpx.AsyncBaseTransport):
    """Forwards to the app; before some listing requests, runs a burst of changes first."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.burst: Callable[[], Any] | None = None
        self.schedule: set[int] = set()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/Keywords"):
            self.count += 1
            if self.burst is not None and self.count in self.schedule:
                await self.burst()
        return await self.inner.handle_async_request(request)


async def _listing(seed: int, fetch_ahead: int, stream: bool) -> None:
    app = create_app(EmulatorConfig(seed=3, token=f"{TOKEN_ID}:{SECRET}", size=0.1))
    raw = emulator_transport(app)
    churn = Churn(raw)
    rng = random.Random(seed)
    async with (
        Engine(transport=raw) as side_engine,
        Engine(transport=churn) as engine,
        OpenAsset(BASE, engine=side_engine, token=(TOKEN_ID, SECRET)) as side,
        OpenAsset(BASE, engine=engine, token=(TOKEN_ID, SECRET), concurrency=fetch_ahead) as oa,
    ):
        initial = [int(k.id or 0) async for k in side.keywords.list()]
        alive, deleted, created = list(initial), set(), set()

        async def burst() -> None:
            for _ in range(rng.randint(1, 3)):
                if alive and rng.random() < 0.6:
                    victim = alive.pop(rng.randrange(len(alive)))
                    await side.keywords.delete(victim)
                    deleted.add(victim)
                else:
                    made = await side.keywords.create(
                        {"name": f"churn {len(created)}", "keyword_category_id": 1}
                    )
                    alive.append(int(made.id or 0))
                    created.add(int(made.id or 0))

        churn.schedule = set(rng.sample(range(1, 14), 3))
        churn.burst = burst
        pager = oa.keywords.list(page_size=4)
        if stream:
            async with pager:
                got = [int(k.id or 0) async for k in pager]
        else:
            got = [int(k.id or 0) async for k in pager]
    assert len(got) == len(set(got)), "a keyword was handed out twice"
    missing = set(initial) - deleted - set(got)
    assert not missing, f"keywords that existed throughout were never handed out: {missing}"
    assert set(got) <= set(initial) | created


@pytest.mark.parametrize("fetch_ahead", [2, 4])
def test_every_surviving_keyword_exactly_once(run_async: RunAsync, fetch_ahead: int) -> None:
    async def flow() -> None:
        for seed in range(10):
            await _listing(seed, fetch_ahead, stream=bool(seed % 2))

    run_async(flow)
