"""Revalidation: a second sync of unchanged data with the persistent SQLite cache.

A "sync" reads every page of a project's keys, its locale list and every locale file from the
Phrase emulator. The first sync fills an `SQLiteCache` file; the second runs in a fresh Engine on
the same file (as a later run of a sync job would). Goals for the second sync: >= 99% of its
requests answered 304, and zero quota spent (the emulator's counted requests and its
X-Rate-Limit-Remaining do not move).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.engine.cache_storage import SQLiteCache
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine, ServiceClient
from benchmarks import plots
from benchmarks._common import write_result
from benchmarks._setup import Emulator, bench_dialect, phrase_emulator


async def sync(client: ServiceClient, project: str, per_page: int) -> int:
    """Read all keys, all locales and every locale file; returns the requests made."""
    sent = 0
    page = 1
    while True:
        response = await client.send(
            Request(
                method="GET",
                path="/projects/{p}/keys",
                path_params={"p": project},
                query={"page": page, "per_page": per_page},
            )
        )
        sent += 1
        if len(response.json()) < per_page:
            break
        page += 1
    locales = await client.send(
        Request(
            method="GET", path="/projects/{p}/locales", path_params={"p": project},
            query={"per_page": 100},
        )
    )  # fmt: skip
    sent += 1
    for locale in locales.json():
        await client.send(
            Request(
                method="GET",
                path="/projects/{p}/locales/{id}/download",
                path_params={"p": project, "id": locale["id"]},
                query={"file_format": "yml"},
            )
        )
        sent += 1
    return sent


async def one_sync(emu: Emulator, cache_path: Path, per_page: int) -> dict[str, Any]:
    """One sync in a fresh Engine on the cache file, with the emulator's counters around it."""
    before = (emu.stats.requests, emu.stats.counted, emu.stats.not_modified, emu.stats.total_429)
    remaining_before = remaining(emu)
    async with Engine(cache=SQLiteCache(cache_path)) as engine:
        client = engine.bind(bench_dialect(emu.base_url, emu.token, concurrency=2))
        started = time.perf_counter()
        sent = await sync(client, emu.project_id, per_page)
        wall = time.perf_counter() - started
        from_cache = engine.stats.not_modified
    after = (emu.stats.requests, emu.stats.counted, emu.stats.not_modified, emu.stats.total_429)
    return {
        "requests": sent,
        "seconds": wall,
        "engine_not_modified": from_cache,
        "server_requests": after[0] - before[0],
        "server_counted": after[1] - before[1],
        "server_304": after[2] - before[2],
        "server_429": after[3] - before[3],
        "remaining_before": remaining_before,
        "remaining_after": remaining(emu),
    }


def remaining(emu: Emulator) -> int:
    """The quota the emulator would announce as X-Rate-Limit-Remaining now."""
    state = emu.recorder.state
    book = state.quota
    scope = next(iter(book._windows), None)  # the single user scope of this run
    if scope is None:
        return int(book.limit)
    return int(book.peek(scope, state.clock()).remaining)


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Two syncs on one cache file against one emulator."""
    # Quota and cap pinned to the legacy 500 / 300 s and 2 the recorded figures were measured with.
    config = EmulatorConfig(
        quota=500, window=300.0, concurrency=2, faults=FaultConfig(latency_ms=args.latency_ms)
    )
    with phrase_emulator(config) as emu, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.sqlite"
        first = await one_sync(emu, path, args.per_page)
        second = await one_sync(emu, path, args.per_page)
    share = second["server_304"] / second["server_requests"]
    spent = second["server_counted"]
    moved = second["remaining_before"] - second["remaining_after"]
    plot = plots.bars(
        "revalidation",
        {"first sync: counted": first["server_counted"], "second sync: counted": spent,
         "second sync: 304": second["server_304"]},
        ylabel="requests",
        title="second sync of unchanged data (SQLite cache)",
    )  # fmt: skip
    return {
        "share_304": share,
        "quota_spent": spent,
        "remaining_moved": moved,
        "first_sync": first,
        "second_sync": second,
        "goal": "share_304 >= 0.99; quota_spent == 0",
        "met": share >= 0.99 and spent == 0 and moved == 0,
        "plot": plots.relative(plot),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/revalidation.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args))
    path = write_result("revalidation", figures, vars(args))
    print(
        f"revalidation: 304 share {figures['share_304']:.1%} (goal >= 99%), quota spent "
        f"{figures['quota_spent']} (goal 0) -> {path}"
    )
    return figures


if __name__ == "__main__":
    main()
