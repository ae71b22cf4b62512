"""Quota job: N requests against the Phrase emulator's fixed-window quota, cap C, fixed latency.

The asyncdam Engine (limiter fed by X-Rate-Limit-*, cap C) and a naive `asyncio.gather` over a
plain httpx client run in one process, each on its own emulator instance with the same settings
(the naive burst first: run concurrently, its thousand connections stall the shared process).

The quota-bound minimum, from the emulator's fixed-window semantics: a window opens at the first
counted request (epoch t0) and lasts W seconds; X-Rate-Limit-Reset announces its end rounded up
to a whole epoch second. So the first window costs ceil(t0 + W) - t0. A client that never sends
before the announced Reset starts each later window strictly after a whole second R (a request
arrives after it is sent), so that window ends after R + W and announces R + floor(W) + 1: every
later full window costs floor(W) + 1 seconds. With k = ceil(N / Q) windows and
r = N - (k - 1) Q requests in the last one, at cap C and latency L:

    minimum = (ceil(t0 + W) - t0) + (k - 2) (floor(W) + 1) + B(r)      (k >= 2)
    minimum = B(N)                                                      (k == 1)

where B(r) is the time r requests take at cap C on this machine: measured in the same run by a
bare httpx client with a semaphore of C on a third emulator instance (its floor is
ceil(r / C) L, but the emulator's own handling adds to every request, for any client). The JSON
also gives the "strict" minimum (k - 1) W + ceil(r / C) L of a client that knew each window's
end to the microsecond and a server that answered in exactly L.

Goals: wall / minimum <= 1.05 and zero 429s for the Engine. The naive side is expected to draw
429s (it ignores both the cap and the quota) and does not retry them.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from typing import Any

import httpx

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.engine.errors import AsyncDamError
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine
from benchmarks import plots
from benchmarks._common import write_result
from benchmarks._setup import USER_AGENT, Emulator, bench_dialect, phrase_emulator


def last_batch(n: int, quota: int) -> int:
    """How many requests fall in the last quota window."""
    return n - (math.ceil(n / quota) - 1) * quota


def quota_minimum(n: int, quota: int, window: float, t0: float, batch_seconds: float) -> float:
    """The least wall time a Reset-honouring client can take (see the module docstring)."""
    k = math.ceil(n / quota)
    if k <= 1:
        return batch_seconds
    first = math.ceil(t0 + window) - t0
    return first + (k - 2) * (math.floor(window) + 1) + batch_seconds


def strict_minimum(n: int, quota: int, window: float, cap: int, latency: float) -> float:
    """The minimum for a client that knew the window ends to the microsecond."""
    k = math.ceil(n / quota)
    last = n - (k - 1) * quota
    return (k - 1) * window + math.ceil(last / cap) * latency


async def run_engine(emu: Emulator, n: int, cap: int) -> dict[str, Any]:
    """N GETs through the Engine (cache off: every request must count against the quota)."""
    dialect = bench_dialect(emu.base_url, emu.token, concurrency=cap)
    errors: Counter[str] = Counter()
    async with Engine(cache=False) as engine:
        client = engine.bind(dialect)

        async def one() -> None:
            try:
                await client.send(
                    Request(method="GET", path="/projects/{p}", path_params={"p": emu.project_id})
                )
            except AsyncDamError as exc:
                errors[type(exc).__name__] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        wall = time.perf_counter() - started
        stats = engine.stats.as_dict()
    return {"wall_seconds": wall, "errors": dict(errors), "engine_stats": stats}


async def run_naive(emu: Emulator, n: int) -> dict[str, Any]:
    """N GETs fired at once with asyncio.gather over httpx; no cap, no quota, no retry."""
    headers = {"Authorization": f"token {emu.token}", "User-Agent": USER_AGENT}
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(
        base_url=emu.base_url, headers=headers, limits=limits, timeout=120, trust_env=False
    ) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(client.get(f"/projects/{emu.project_id}") for _ in range(n)),
            return_exceptions=True,
        )
        wall = time.perf_counter() - started
    statuses = Counter(
        str(r.status_code) if isinstance(r, httpx.Response) else type(r).__name__ for r in responses
    )
    return {"wall_seconds": wall, "statuses": dict(statuses)}


async def run_batch(emu: Emulator, n: int, cap: int) -> float:
    """B(n): n GETs with a bare httpx client and a semaphore of `cap`, no quota in the way."""
    headers = {"Authorization": f"token {emu.token}", "User-Agent": USER_AGENT}
    gate = asyncio.Semaphore(cap)
    async with httpx.AsyncClient(
        base_url=emu.base_url, headers=headers, timeout=60, trust_env=False
    ) as client:

        async def one() -> None:
            async with gate:
                (await client.get(f"/projects/{emu.project_id}")).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - started


def emulator_counts(emu: Emulator) -> dict[str, Any]:
    """The emulator's own view of a run."""
    s = emu.stats
    return {
        "requests": s.requests,
        "counted": s.counted,
        "429": s.total_429,
        "429_by_reason": dict(s.rate_limited),
        "max_in_flight": s.max_in_flight,
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Both sides at the same time, each on its own emulator."""
    config = EmulatorConfig(
        quota=args.quota,
        window=args.window,
        concurrency=args.cap,
        faults=FaultConfig(latency_ms=args.latency_ms),
    )
    batch = last_batch(args.requests, args.quota)
    with (
        phrase_emulator(config) as emu_engine,
        phrase_emulator(config) as emu_naive,
        phrase_emulator(config) as emu_batch,
    ):
        batch_seconds = await run_batch(emu_batch, batch, args.cap)
        # The naive burst opens N connections and stalls this process for seconds; run at the
        # same time it would charge that stall to asyncdam, so it goes first, on its own.
        naive = await run_naive(emu_naive, args.requests)
        eng = await run_engine(emu_engine, args.requests, args.cap)
        eng["emulator"] = emulator_counts(emu_engine)
        naive["emulator"] = emulator_counts(emu_naive)
        events = {"asyncdam": list(emu_engine.recorder.events), "naive gather": []}
        events["naive gather"] = list(emu_naive.recorder.events)
    latency = args.latency_ms / 1000
    t0 = min(t for t, _ in events["asyncdam"])
    minimum = quota_minimum(args.requests, args.quota, args.window, t0, batch_seconds)
    strict = strict_minimum(args.requests, args.quota, args.window, args.cap, latency)
    ratio = eng["wall_seconds"] / minimum
    engine_429 = eng["emulator"]["429"]
    plot = plots.quota_timeline(
        "quota_job",
        events,
        quota=args.quota,
        window=args.window,
        title=f"{args.requests} requests, quota {args.quota}/{args.window:g} s, cap {args.cap}",
    )
    return {
        "ratio": ratio,
        "engine_429": engine_429,
        "naive_429": naive["emulator"]["429"],
        "minimum_seconds": minimum,
        "strict_minimum_seconds": strict,
        "last_batch_requests": batch,
        "last_batch_seconds_bare_httpx": batch_seconds,
        "last_batch_floor_seconds": math.ceil(batch / args.cap) * latency,
        "ratio_to_strict_minimum": eng["wall_seconds"] / strict,
        "first_window_start_epoch": t0,
        "asyncdam": eng,
        "naive": naive,
        "goal": "ratio <= 1.05 and 0 x 429",
        "met": ratio <= 1.05 and engine_429 == 0,
        "plot": plots.relative(plot),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/quota_job.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--quota", type=int, default=200)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--cap", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 100 requests at quota 20 / 2 s"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.quota, args.window = 100, 20, 2.0
    figures = asyncio.run(measure(args))
    path = write_result("quota_job", figures, vars(args))
    print(
        f"quota_job: wall/minimum {figures['ratio']:.3f} (goal <= 1.05), "
        f"asyncdam 429s {figures['engine_429']} (goal 0), naive 429s {figures['naive_429']} "
        f"-> {path}"
    )
    return figures


if __name__ == "__main__":
    main()
