"""Memory: RSS growth of a client streaming 100k items vs 1M items through a Paginator.

A tiny loopback app (no latency) serves numbered pages with a total header; the client runs in
a subprocess of its own so its RSS holds nothing but the client. It streams the listing with
fetch-ahead (cap 2, `async with paginator:`) and samples VmRSS from /proc/self/status (falling
back to ru_maxrss) every few pages. Growth = peak RSS - RSS after the first page. Goal: the
growth difference between 1M and 100k items is <= 50 MB (memory stays flat in the item count).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import plots
from benchmarks._common import write_result
from benchmarks._setup import serve_app

GOAL_MB = 50.0


def rss_mb() -> float:
    """Resident set size of this process in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def child(base: str, items: int, per_page: int) -> dict[str, Any]:
    """Stream `items` items and report RSS samples (runs in the subprocess)."""
    from asyncdam.engine.page_strategies import PageNumberStrategy, header_total
    from asyncdam.engine.request import Request
    from asyncdam.engine.session import Engine
    from benchmarks._setup import bench_dialect
    from benchmarks.fetch_ahead import decode

    samples: list[tuple[int, float]] = []
    async with Engine() as engine:
        client = engine.bind(bench_dialect(base, "memory-token", concurrency=2))
        strategy = PageNumberStrategy(per_page=per_page, total=header_total("X-Total-Count"))
        paginator = client.paginate(Request(method="GET", path="/items"), strategy, decode)
        count = 0
        every = max(1, items // 200)
        async with paginator:
            async for _ in paginator:
                count += 1
                if count == per_page or count % every == 0:
                    samples.append((count, rss_mb()))
    samples.append((count, rss_mb()))
    baseline = samples[0][1]
    peak = max(rss for _, rss in samples)
    return {"items": count, "baseline_mb": baseline, "peak_mb": peak,
            "growth_mb": peak - baseline, "samples": samples}  # fmt: skip


def run_child(base: str, items: int, per_page: int) -> dict[str, Any]:
    """One streaming run in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", base, "--items", str(items),
         "--per-page", str(per_page)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/memory.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--per-page", type=int, default=500)
    parser.add_argument("--child", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.items, args.per_page))))
        return {}
    from benchmarks.fetch_ahead import PagedApp

    runs: dict[str, dict[str, Any]] = {}
    for n in (args.small, args.large):
        with serve_app(PagedApp(n, 0.0)) as base:
            runs[str(n)] = run_child(base, n, args.per_page)
    small, large = runs[str(args.small)], runs[str(args.large)]
    difference = large["growth_mb"] - small["growth_mb"]
    plot = plots.lines(
        "memory",
        {f"{int(k):,} items": ([s[0] for s in r["samples"]], [s[1] for s in r["samples"]])
         for k, r in runs.items()},
        xlabel="items streamed",
        ylabel="client RSS (MB)",
        title="RSS while streaming a listing (fetch-ahead 2)",
    )  # fmt: skip
    figures = {
        "growth_difference_mb": difference,
        "growth_small_mb": small["growth_mb"],
        "growth_large_mb": large["growth_mb"],
        "runs": {k: {kk: vv for kk, vv in r.items() if kk != "samples"} for k, r in runs.items()},
        "goal": f"growth difference <= {GOAL_MB:g} MB",
        "met": difference <= GOAL_MB,
        "plot": plots.relative(plot),
        "samples": {k: r["samples"] for k, r in runs.items()},
    }
    path = write_result("memory", figures, {k: v for k, v in vars(args).items() if k != "child"})
    print(f"memory: growth difference {difference:.1f} MB (goal <= {GOAL_MB:g} MB) -> {path}")
    return figures


if __name__ == "__main__":
    main()
