"""Search paging through the real Paginator: server quirks, fetch-ahead and the concurrency cap."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.phraseanet import create_app
from asyncdam.engine.errors import RateLimited
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import Phraseanet

from .conftest import TOKEN, RunAsync, emulator_client

BASE = "https://dam.example.org"
TOTAL = 47
DROPPED = {3, 25}  # hits the server counts but cannot load (e.g. deleted since indexing)


def search_reply(request: httpx.Request) -> httpx.Response:
    form = dict(parse_qsl(request.content.decode()))
    offset, size = int(form["offset_start"]), int(form["per_page"])
    hits = [i for i in range(offset, min(offset + size, TOTAL)) if i not in DROPPED]
    records = [{"databox_id": 1, "record_id": i} for i in hits]
    body = {
        "offset_start": offset,
        "per_page": size,
        "available_results": len(records),
        "total_results": TOTAL,
        "results": {"records": records, "stories": []},
    }
    return httpx.Response(200, json={"meta": {"http_code": 200}, "response": body})


@pytest.mark.parametrize("fetch_ahead", [0, 4])
@respx.mock
async def test_short_pages_mid_listing_neither_repeat_nor_stop(fetch_ahead: int) -> None:
    route = respx.post(f"{BASE}/api/v1/search/").mock(side_effect=search_reply)
    async with Engine(retry=RetryPolicy(max_attempts=1)) as engine:
        async with Phraseanet(BASE, token="t", engine=engine) as pn:
            pager = pn.records.search(per_page=10, fetch_ahead=fetch_ahead)
            ids = [r.record_id async for r in pager]
    assert ids == [i for i in range(TOTAL) if i not in DROPPED]
    assert pager.total == TOTAL
    offsets = sorted(
        int(dict(parse_qsl(c.request.content.decode()))["offset_start"]) for c in route.calls
    )
    # A guarded listing starts each page on the previous page's last hit (the overlap).
    assert offsets == [0, 9, 18, 27, 36, 45]


def test_fetch_ahead_stays_under_the_concurrency_cap(run_async: RunAsync) -> None:
    config = EmulatorConfig(token=TOKEN, concurrency=2, faults=FaultConfig(latency_ms=3))
    app: Any = create_app(config)

    async def flow() -> Counter[tuple[int, int]]:
        async with emulator_client(app) as pn:
            assert pn.dialect.concurrency == 2
            return Counter([r.key async for r in pn.records.search(per_page=250, fetch_ahead=6)])

    seen = run_async(flow)
    assert set(seen.values()) == {1} and len(seen) > 2000
    assert app.state.stats.rejected_concurrency == 0

    async def too_wide() -> None:
        async with emulator_client(app, concurrency=6) as pn:
            async for _ in pn.records.search(per_page=100, fetch_ahead=6):
                pass

    with pytest.raises(RateLimited):
        run_async(too_wide)
    assert app.state.stats.rejected_concurrency > 0
