"""Four worker processes sharing one Phrase token: a Redis-shared limiter against per-process ones.

The Phrase emulator enforces 200 requests per 10 s window and 2 concurrent requests per user, with
20 ms latency. 1,000 counted GETs are split across 4 processes. Figures per mode:

- utilization: requests served / the quota-bound maximum over the elapsed time, i.e.
  limit x the number of fixed windows the run touched (ceil(elapsed / window)); a step function,
  so `utilization_rate` (served / (limit / window x elapsed)) is reported too;
- 429s: as the emulator counted them (app.state.stats) and as the engines saw them.

Goal (Redis mode): utilization >= 0.90 and zero 429s. Needs a `redis-server` binary (one is started
on a free loopback port) or `--redis-url`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asyncdam._version import __version__
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.registry import base_path, create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import AsyncDamError
from asyncdam.engine.keys import short_hash
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine
from benchmarks._common import write_result

TOKEN = "bench-token"
KEY_SECRET = "benchmark-shared-key-secret"


def dialect(base_url: str) -> BaseDialect:
    """A minimal Phrase-like dialect: token header, a User-Agent, the documented cap of 2."""
    return BaseDialect(
        name="phrase",
        base_url=check_base_url(base_url),
        default_headers={
            "Authorization": f"token {TOKEN}",
            "User-Agent": f"asyncdam/{__version__} (benchmark)",
        },
        credential_id=short_hash(TOKEN),
        concurrency=2,
    )


async def _work(base_url: str, redis_url: str | None, prefix: str, n: int) -> dict[str, Any]:
    backend = None
    if redis_url is not None:
        from asyncdam.engine.redis import RedisBackend

        # Every worker process names the keys with the same secret, as a deployment would.
        backend = RedisBackend(redis_url, key_prefix=prefix, key_secret=KEY_SECRET)
    served = 0
    errors: dict[str, int] = {}
    async with Engine(backend=backend, cache=False) as engine:
        spoken = dialect(base_url)

        async def one() -> None:
            nonlocal served
            try:
                await engine.send(spoken, Request(method="GET", path="/projects"))
                served += 1
            except AsyncDamError as exc:
                name = f"{type(exc).__name__}: {exc}"[:120]
                errors[name] = errors.get(name, 0) + 1

        await asyncio.gather(*(one() for _ in range(n)))
        stats = engine.stats.as_dict()
    return {"served": served, "errors": errors, "engine": stats}


def _worker(
    base_url: str, redis_url: str | None, prefix: str, n: int, start: Any, out: Any
) -> None:
    start.wait()
    out.put(asyncio.run(_work(base_url, redis_url, prefix, n)))


def run_mode(redis_url: str | None, requests: int, workers: int, window: float) -> dict[str, Any]:
    """One run: a fresh emulator, `workers` processes, `requests` GETs in all."""
    config = EmulatorConfig(
        token=TOKEN, quota=200, window=window, concurrency=2, faults=FaultConfig(latency_ms=20)
    )
    app = create_app("phrase", config)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    with EmulatorServer("phrase", config, app=app) as server:
        base = server.base_url.rstrip("/") + base_path("phrase")
        share = [requests // workers + (1 if i < requests % workers else 0) for i in range(workers)]
        procs = [
            ctx.Process(target=_worker, args=(base, redis_url, prefix, k, start, out))
            for k in share
        ]
        for proc in procs:
            proc.start()
        time.sleep(2.0)  # let every interpreter finish importing before the clock starts
        started = time.perf_counter()
        start.set()
        results = [out.get(timeout=600) for _ in procs]
        elapsed = time.perf_counter() - started
        for proc in procs:
            proc.join(timeout=30)
        stats = app.state.stats
        served = sum(r["served"] for r in results)
        windows = max(1, math.ceil(elapsed / window))
        return {
            "served": served,
            "failed": sum(sum(r["errors"].values()) for r in results),
            "errors": _merge([r["errors"] for r in results]),
            "elapsed_s": round(elapsed, 2),
            "windows": windows,
            "utilization": round(served / (config.quota * windows), 3),  # type: ignore[operator]
            # The same against a smooth rate (quota / window x elapsed); bursts at window starts
            # can lift it a little above 1.
            "utilization_rate": round(served / (config.quota * elapsed / window), 3),  # type: ignore[operator]
            "emulator_429": stats.total_429,
            "emulator_429_by_reason": dict(stats.rate_limited),
            "emulator_max_in_flight": stats.max_in_flight,
            "engine_429": sum(r["engine"]["rate_limited"] for r in results),
            "engine_retries": sum(r["engine"]["retries"] for r in results),
        }


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for name, n in count.items():
            total[name] = total.get(name, 0) + n
    return total


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; stopped (and reaped) on exit."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: install it or pass --redis-url")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both modes and write benchmarks/results/redis_workers.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args(argv)
    if args.redis_url:
        shared = run_mode(args.redis_url, args.requests, args.workers, args.window)
    else:
        with redis_server() as url:
            shared = run_mode(url, args.requests, args.workers, args.window)
    local = run_mode(None, args.requests, args.workers, args.window)
    figures = {"redis": shared, "local": local}
    parameters = {
        "requests": args.requests,
        "workers": args.workers,
        "quota": 200,
        "window_s": args.window,
        "concurrency": 2,
        "latency_ms": 20,
    }
    path = write_result("redis_workers", figures, parameters)
    for mode, row in figures.items():
        print(
            f"{mode:>5}: served {row['served']}/{args.requests} in {row['elapsed_s']} s, "
            f"utilization {row['utilization']}, 429s emulator {row['emulator_429']} "
            f"engine {row['engine_429']}"
        )
    print(f"wrote {path}")
    return figures


if __name__ == "__main__":
    main()
