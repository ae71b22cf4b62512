"""Waiters: 10,000 tasks queued on one LocalLimiter scope; CPU while they wait, and grant order.

Two phases, no server involved. "quota": the scope has a configured rate of N tokens per W
seconds and 2N tasks call `acquire` in a known order; N are granted at once and N wait for the
window to roll over. "slot": one task holds the scope's only concurrency slot for S seconds
while N tasks queue behind it. In each, the process's CPU time over the quiet span (from the
queue settling until just before the window rolls over or the slot frees) is compared with wall
time; the baseline is the same process only sleeping for the same span. Goals: CPU share while
waiting ~idle (within 1 percentage point of the baseline), and every grant in arrival order.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from typing import Any

from asyncdam.engine.limiter import LocalLimiter
from asyncdam.engine.types import Rate
from benchmarks import plots
from benchmarks._common import write_result

SETTLE = 0.3


async def idle_share(seconds: float) -> float:
    """CPU share of this process while it only sleeps (the baseline)."""
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def phase(kind: str, n: int, hold: float) -> dict[str, Any]:
    """Queue the tasks, time the quiet span, then check the order of grants."""
    limiter = LocalLimiter()
    if kind == "quota":
        rate, concurrency, total, immediate = Rate(n, hold), 2 * n, 2 * n, n
    else:
        rate, concurrency, total, immediate = Rate(10 * n, 3600.0), 1, n, 0
    grants: list[int] = []

    async def task(index: int) -> None:
        permit = await limiter.acquire("bench", concurrency=concurrency, initial_rate=rate)
        grants.append(index)
        await permit.release()

    blocker = None
    if kind == "slot":
        blocker = await limiter.acquire("bench", concurrency=concurrency, initial_rate=rate)
    # Created in index order: each task joins the queue at its first step, before any await.
    tasks = [asyncio.create_task(task(i)) for i in range(total)]
    await asyncio.sleep(SETTLE)
    if len(grants) != immediate:
        raise RuntimeError(f"expected {immediate} immediate grants, saw {len(grants)}")
    waiting = limiter.snapshot("bench")["waiting"]
    # The quiet span ends well before the window rolls over (quota) or the slot frees (slot).
    span = hold - 2 * SETTLE
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(span)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    if len(grants) != immediate:
        raise RuntimeError("a waiter was granted during the quiet span")
    if blocker is not None:
        await blocker.release()
    await asyncio.gather(*tasks)
    await limiter.aclose()
    baseline = await idle_share(wall1 - wall0)
    out_of_order = sum(1 for a, b in itertools.pairwise(grants) if b < a)
    return {
        "tasks_waiting": waiting,
        "cpu_share_while_waiting": (cpu1 - cpu0) / (wall1 - wall0),
        "cpu_share_idle_baseline": baseline,
        "cpu_seconds_while_waiting": cpu1 - cpu0,
        "waiting_seconds": wall1 - wall0,
        "fifo": grants == list(range(total)),
        "out_of_order_grants": out_of_order,
        "grants": grants,
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Both phases, one after the other."""
    phases = {kind: await phase(kind, args.tasks, args.hold) for kind in ("quota", "slot")}
    plot = plots.lines(
        "waiters",
        {f"{k}: {len(p['grants'])} grants": (list(range(len(p["grants"]))), p["grants"])
         for k, p in phases.items()},
        xlabel="grant order",
        ylabel="arrival index",
        title=f"{args.tasks} waiters on one limiter: grant order (FIFO = diagonal)",
    )  # fmt: skip
    for p in phases.values():
        del p["grants"]
    excess = max(
        p["cpu_share_while_waiting"] - p["cpu_share_idle_baseline"] for p in phases.values()
    )
    fifo = all(p["fifo"] for p in phases.values())
    return {
        "cpu_share_while_waiting": max(p["cpu_share_while_waiting"] for p in phases.values()),
        "cpu_share_above_idle": excess,
        "fifo": fifo,
        "phases": phases,
        "goal": "cpu share while waiting within 0.01 of idle; grants FIFO",
        "met": excess <= 0.01 and fifo,
        "plot": plots.relative(plot),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/waiters.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--hold", type=float, default=2.0, help="quiet span (window / hold)")
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args))
    path = write_result("waiters", figures, vars(args))
    print(
        f"waiters: CPU share while waiting {figures['cpu_share_while_waiting']:.2%} "
        f"({figures['cpu_share_above_idle']:+.2%} vs idle; goal ~idle), "
        f"FIFO {figures['fifo']} -> {path}"
    )
    return figures


if __name__ == "__main__":
    main()
