"""Fetch-ahead: streaming a listing whose size is known up front, at cap C, vs page by page.

A tiny loopback app, in a child process, serves numbered pages of a listing with its total in a
header and a fixed latency per page. For each cap C, a sequential Paginator (fetch_ahead=0) and a
fetch-ahead one (fetch_ahead=C, cap C) stream the same listing side by side, at the same time, each
under its own limiter scope. The physical limit is C times faster; goal: speedup >= 0.9 x C when
streaming (`async with paginator:`, pages fetched in the background). Plain `async for` (pages
fetched in windows of C, in step with the consumer) is measured and reported alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from asyncdam.engine.page_strategies import PageNumberStrategy, header_total
from asyncdam.engine.request import Request, Response
from asyncdam.engine.session import Engine
from benchmarks import plots
from benchmarks._common import write_result
from benchmarks._setup import bench_dialect, serve_app_process


class PagedApp:
    """An ASGI app serving `/items?page=&per_page=` over `total` items, `latency` s per page.

    A class rather than a closure so it can be sent to a child process.
    """

    def __init__(self, total: int, latency: float) -> None:
        self.total = total
        self.latency = latency

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        query = dict(parse_qsl(scope["query_string"].decode()))
        page = int(query.get("page", "1"))
        size = int(query.get("per_page", "100"))
        start = (page - 1) * size
        end = min(start + size, self.total)
        items = [{"id": i, "name": f"item.{i}"} for i in range(start, end)]
        if self.latency:
            await asyncio.sleep(self.latency)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-total-count", str(self.total).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(items).encode()})


def decode(response: Response) -> list[dict[str, Any]]:
    """A page's items."""
    items: list[dict[str, Any]] = response.json()
    return items


async def stream(
    engine: Engine, base: str, *, cap: int, ahead: int, per_page: int, background: bool, who: str
) -> tuple[float, int]:
    """Stream the whole listing; returns (seconds, items seen)."""
    client = engine.bind(bench_dialect(base, f"token-{who}", concurrency=cap))
    strategy = PageNumberStrategy(per_page=per_page, total=header_total("X-Total-Count"))
    paginator = client.paginate(
        Request(method="GET", path="/items"), strategy, decode, fetch_ahead=ahead
    )
    count = 0
    started = time.perf_counter()
    if background:
        async with paginator:
            async for _ in paginator:
                count += 1
    else:
        async for _ in paginator:
            count += 1
    return time.perf_counter() - started, count


async def measure(base: str, args: argparse.Namespace) -> dict[str, Any]:
    """For each cap and each way of consuming: sequential and fetch-ahead at the same time."""
    runs: list[dict[str, Any]] = []
    async with Engine(cache=False) as engine:
        for cap in args.caps:
            for background in (False, True):
                tag = f"c{cap}-{'bg' if background else 'plain'}"
                (seq, n_seq), (ahead, n_ahead) = await asyncio.gather(
                    stream(
                        engine, base, cap=1, ahead=0, per_page=args.per_page,
                        background=background, who=f"seq-{tag}",
                    ),
                    stream(
                        engine, base, cap=cap, ahead=cap, per_page=args.per_page,
                        background=background, who=f"ahead-{tag}",
                    ),
                )  # fmt: skip
                if n_seq != args.items or n_ahead != args.items:
                    raise RuntimeError(f"short listing: {n_seq}, {n_ahead} of {args.items}")
                speedup = seq / ahead
                runs.append(
                    {
                        "cap": cap,
                        "mode": "async with (background)" if background else "async for",
                        "sequential_seconds": seq,
                        "fetch_ahead_seconds": ahead,
                        "speedup": speedup,
                        "goal": 0.9 * cap,
                        "met": speedup >= 0.9 * cap,
                    }
                )
    plot = plots.bars(
        "fetch_ahead",
        {f"C={r['cap']}\n{r['mode']}": r["speedup"] / r["cap"] for r in runs},
        ylabel="speedup / C",
        title=f"fetch-ahead: {args.items} items, {args.latency_ms:g} ms per page",
        goal=0.9,
        goal_label="goal: 0.9 x C",
    )
    return {
        "speedups": {f"C={r['cap']} {r['mode']}": round(r["speedup"], 3) for r in runs},
        "runs": runs,
        "goal": "speedup >= 0.9 x C when streaming (`async with paginator:`)",
        "met": all(r["met"] for r in runs if r["mode"].startswith("async with")),
        "note": "plain `async for` fetches a window of C pages, waits for all of them, then "
        "hands their items out before the next window starts; it is reported, not judged",
        "plot": plots.relative(plot),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/fetch_ahead.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--caps", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args(argv)
    with serve_app_process(PagedApp(args.items, args.latency_ms / 1000)) as base:
        figures = asyncio.run(measure(base, args))
    path = write_result("fetch_ahead", figures, vars(args))
    print(f"fetch_ahead: {figures['speedups']} (goal >= 0.9 x C) -> {path}")
    return figures


if __name__ == "__main__":
    main()
