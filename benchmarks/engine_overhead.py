"""Engine overhead: the same N GETs through the Engine and through a raw httpx.AsyncClient.

Both sides talk to the same loopback server (in a child process, off the client's GIL, as a real
server would be) with the same concurrency, interleaved in rounds so machine noise hits both
alike. The Engine runs with its limiter and its cache enabled (the server sends ETags, so every
Engine GET also does a cache lookup and store). Goal: ratio <= 1.10.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine
from benchmarks._common import write_result
from benchmarks._setup import serve_app_process

BODY = json.dumps([{"id": i, "name": f"key.{i}", "plural": False} for i in range(25)]).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A minimal JSON endpoint with validators and rate-limit headers, like the real services."""
    if scope["type"] != "http":
        return
    reset = str(int(time.time()) + 300)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"etag", b'"' + scope["path"].encode()[-8:] + b'"'),
                (b"x-rate-limit-limit", b"1000000"),
                (b"x-rate-limit-remaining", b"999999"),
                (b"x-rate-limit-reset", reset.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


async def run_raw(base: str, n: int, concurrency: int) -> float:
    """N GETs with a plain client and a semaphore of the same size."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, trust_env=False) as client:

        async def one(i: int) -> None:
            async with gate:
                response = await client.get(f"/items/{i}", headers={"User-Agent": "bench"})
                response.raise_for_status()
                response.json()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - started


async def run_engine(base: str, n: int, concurrency: int) -> float:
    """N GETs through the Engine: limiter, cache and retry policy all active."""
    dialect = BaseDialect(
        name="bench",
        base_url=check_base_url(base),
        default_headers={"User-Agent": "bench"},
        credential_id="bench",
        concurrency=concurrency,
    )
    async with Engine() as engine:
        client = engine.bind(dialect)

        async def one(i: int) -> None:
            response = await client.send(
                Request(method="GET", path="/items/{i}", path_params={"i": i})
            )
            response.json()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - started


async def measure(base: str, n: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """Alternate raw and engine rounds; compare medians."""
    raw_times: list[float] = []
    engine_times: list[float] = []
    await run_raw(base, min(n, 200), concurrency)  # warm-up: connections, imports
    await run_engine(base, min(n, 200), concurrency)
    for r in range(rounds):
        if r % 2 == 0:
            raw_times.append(await run_raw(base, n, concurrency))
            engine_times.append(await run_engine(base, n, concurrency))
        else:
            engine_times.append(await run_engine(base, n, concurrency))
            raw_times.append(await run_raw(base, n, concurrency))
    raw = statistics.median(raw_times)
    eng = statistics.median(engine_times)
    return {
        "ratio": eng / raw,
        "raw_seconds_median": raw,
        "engine_seconds_median": eng,
        "raw_seconds": raw_times,
        "engine_seconds": engine_times,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/engine_overhead.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with serve_app_process(app) as base:
        figures = asyncio.run(measure(base, args.requests, args.concurrency, args.rounds))
    figures["goal"] = "ratio <= 1.10"
    figures["met"] = figures["ratio"] <= 1.10
    path = write_result("engine_overhead", figures, vars(args))
    print(f"engine_overhead: ratio {figures['ratio']:.3f} (goal <= 1.10) -> {path}")
    return figures


if __name__ == "__main__":
    main()
