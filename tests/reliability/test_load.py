"""Load: 1,000 concurrent paginations on one engine, zero errors, memory bounded.

All paginations share one Engine (one limiter, one cache, one connection pool) against the
in-process OpenAsset emulator, which enforces no concurrency cap of its own, so the engine's
limiter and the paginators are what is under load. tracemalloc watches Python allocations.
"""

from __future__ import annotations

import tracemalloc

import anyio
import pytest

from asyncdam.emulator import openasset as openasset_emulator
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset

pytestmark = pytest.mark.slow

PAGINATIONS = 1_000
PAGE_SIZE = 8
# A few MiB is typical (1,000 live paginators, their pages and the emulator's work); a leak
# per request or per pagination would blow well past this.
PEAK_BOUND = 32 * 1024 * 1024
# What stays allocated once every pagination is done (cache entries of the shared pages, etc.).
RESIDUE_BOUND = 8 * 1024 * 1024


async def test_thousand_concurrent_paginations_on_one_engine() -> None:
    app = openasset_emulator.create_app(EmulatorConfig(seed=3, token="7:load-secret", size=0.1))
    async with Engine(transport=emulator_transport(app)) as engine:
        async with OpenAsset(
            "http://127.0.0.1", token=("7", "load-secret"), engine=engine, concurrency=50
        ) as oa:
            expected = [p.id async for p in oa.projects.list(page_size=PAGE_SIZE)]
            assert len(expected) > PAGE_SIZE  # every pagination needs more than one page
            before = engine.stats.requests
            results: list[list[int | None]] = []
            failures: list[BaseException] = []

            async def paginate() -> None:
                try:
                    results.append([p.id async for p in oa.projects.list(page_size=PAGE_SIZE)])
                except Exception as exc:  # counted, so one failure does not hide the others
                    failures.append(exc)

            tracemalloc.start()
            try:
                with anyio.fail_after(120):
                    async with anyio.create_task_group() as tg:
                        for _ in range(PAGINATIONS):
                            tg.start_soon(paginate)
                residue, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert failures == []
    assert len(results) == PAGINATIONS
    assert all(r == expected for r in results)
    assert engine.stats.requests - before >= PAGINATIONS * 2
    assert set(engine.stats.responses) == {"2xx"}
    assert engine.stats.retries == 0 and engine.stats.transport_errors == 0
    print(f"\n[load] paginations={PAGINATIONS} peak={peak / 2**20:.1f}MiB residue={residue} B")
    assert peak < PEAK_BOUND
    assert residue < RESIDUE_BOUND
