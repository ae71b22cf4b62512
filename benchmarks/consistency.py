"""Consistency: what the listing guarantee costs, and whether it holds under churn.

Three parts, each beside the plain listing (`consistency="off"`) in the same run:

- unchanged: `phrase.keys.list` over the emulator's main project (2,500 keys, 30 ms per
  request, served from a child process), fetch-ahead at C=4, plain vs guarded (`on_drift`, the
  default) vs guarded with `reconcile="always"`: wall and client CPU seconds, requests, quota
  spent (the emulator's counted requests) and 304s. Goals: the guarantee spends no quota and
  adds at most 25% to the time.
- churn: the same listing while a second client deletes and creates keys through the API at 1%
  of the collection per minute (Poisson), with a consumer spending `--work-ms` per key (a bulk
  sync's own work, which is what makes a listing last long enough to meet changes). Counted:
  survivors (keys that existed for the whole listing) missed and keys handed out twice.
  Goal: 0 and 0 in every guarded run.
- memory: bytes per id of the seen-id set at a million Phrase-style ids, beside a set of the
  same id strings (tracemalloc).
- dam_costs: requests of `oa.files.list` and `pn.records.search` on unchanged in-process
  emulators, plain vs guarded (overlapping pages) vs `reconcile="always"`, and how many of the
  reconciliation pass's requests were answered 304.

Every part runs `--runs` times (>= 3); min / median / max are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
import tracemalloc
from typing import Any

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.engine.consistency import SeenIds
from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase
from benchmarks._common import write_result
from benchmarks._setup import RemoteEmulator, phrase_emulator_process

MODES: dict[str, dict[str, Any]] = {
    "plain": {"consistency": "off"},
    "guarded": {"consistency": "repair"},
    "guarded_always": {"consistency": "repair", "reconcile": "always"},
}


def spread(values: list[float]) -> dict[str, float]:
    """min / median / max of a list of figures."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


async def one_listing(
    emu: RemoteEmulator, concurrency: int, options: dict[str, Any], work: float = 0.0
) -> dict[str, Any]:
    """One full `keys.list` in a fresh engine, with the emulator's counters around it."""
    before = emu.counts()
    async with Engine() as engine:
        phrase = Phrase(
            token=emu.token, base_url=emu.base_url, engine=engine, concurrency=concurrency
        )
        cpu, wall = time.process_time(), time.perf_counter()
        ids: list[str | None] = []
        pager = phrase.keys.list(emu.project_id).reconfigured(**options)
        async with pager:
            async for key in pager:
                ids.append(key.id)
                if work:
                    await asyncio.sleep(work)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        stats = engine.stats
    after = emu.counts()
    return {
        "ids": ids,
        "seconds": wall,
        "cpu_seconds": cpu,
        "requests": after["requests"] - before["requests"],
        "quota_spent": after["counted"] - before["counted"],
        "not_modified": after["not_modified"] - before["not_modified"],
        "drift": stats.listing_drift,
        "reconciliation_passes": stats.reconciliation_passes,
    }


async def unchanged(emu: RemoteEmulator, args: argparse.Namespace) -> dict[str, Any]:
    """Plain vs guarded listings of an unchanged collection, interleaved, `runs` times."""
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    order = list(MODES)
    for run in range(args.runs):
        for mode in order[run % len(order) :] + order[: run % len(order)]:
            result = await one_listing(emu, args.concurrency, MODES[mode])
            ids = result.pop("ids")
            result["items"] = len(ids)
            runs[mode].append(result)
    out: dict[str, Any] = {"runs": runs}
    for mode in ("guarded", "guarded_always"):
        ratios = [
            g["seconds"] / p["seconds"] for g, p in zip(runs[mode], runs["plain"], strict=True)
        ]
        cpu = [
            g["cpu_seconds"] / p["cpu_seconds"]
            for g, p in zip(runs[mode], runs["plain"], strict=True)
        ]
        extra_quota = [
            g["quota_spent"] - p["quota_spent"]
            for g, p in zip(runs[mode], runs["plain"], strict=True)
        ]
        extra_requests = [
            g["requests"] - p["requests"] for g, p in zip(runs[mode], runs["plain"], strict=True)
        ]
        out[mode] = {
            "time_ratio": spread(ratios),
            "cpu_ratio": spread(cpu),
            "extra_quota": spread([float(x) for x in extra_quota]),
            "extra_requests": spread([float(x) for x in extra_requests]),
            "not_modified": spread([float(g["not_modified"]) for g in runs[mode]]),
        }
    out["plain_seconds"] = spread([p["seconds"] for p in runs["plain"]])
    return out


class Mutator:
    """Deletes and creates keys through the API at `rate` changes per second (Poisson)."""

    def __init__(self, phrase: Phrase, project: str, alive: list[str], rate: float, seed: int):
        self.phrase, self.project, self.rate = phrase, project, rate
        self.rng = random.Random(seed)
        self.alive = list(alive)
        self.log: list[tuple[float, str, str]] = []  # (monotonic time, "del"/"add", id)
        self.serial = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.rng.expovariate(self.rate))
            if self.rng.random() < 0.5 and self.alive:
                victim = self.alive.pop(self.rng.randrange(len(self.alive)))
                await self.phrase.keys.delete(self.project, victim)
                self.log.append((time.monotonic(), "del", victim))
            else:
                self.serial += 1
                key = await self.phrase.keys.create(self.project, name=f"bench.churn.{self.serial}")
                self.alive.append(str(key.id))
                self.log.append((time.monotonic(), "add", str(key.id)))


async def churn(emu: RemoteEmulator, args: argparse.Namespace) -> dict[str, Any]:
    """Plain and guarded listings while the collection changes at 1% per minute."""
    async with Engine() as engine:
        side = Phrase(token=emu.token, base_url=emu.base_url, engine=engine)
        alive = [str(k.id) async for k in side.keys.list(emu.project_id)]
        rate = len(alive) * args.churn_per_minute / 60.0
        mutator = Mutator(side, emu.project_id, alive, rate, seed=7)
        task = asyncio.create_task(mutator.run())
        runs: dict[str, list[dict[str, Any]]] = {"plain": [], "guarded": []}
        try:
            for run in range(args.runs):
                for mode in ("plain", "guarded") if run % 2 == 0 else ("guarded", "plain"):
                    snapshot, started = set(mutator.alive), time.monotonic()
                    result = await one_listing(
                        emu, args.concurrency, MODES[mode], work=args.work_ms / 1000
                    )
                    ended = time.monotonic()
                    changed = [e for e in mutator.log if started <= e[0] <= ended]
                    deleted = {i for _, kind, i in changed if kind == "del"}
                    created = {i for _, kind, i in changed if kind == "add"}
                    ids = [i for i in result.pop("ids") if i is not None]
                    survivors = snapshot - deleted
                    result.update(
                        items=len(ids),
                        changes=len(changed),
                        missed=len(survivors - set(ids)),
                        repeated=len(ids) - len(set(ids)),
                        unexpected=len(set(ids) - snapshot - created - deleted),
                    )
                    runs[mode].append(result)
        finally:
            task.cancel()
    summary: dict[str, Any] = {"runs": runs, "changes_per_second": rate}
    for mode, results in runs.items():
        summary[mode] = {
            key: spread([float(r[key]) for r in results])
            for key in ("missed", "repeated", "changes", "seconds", "requests", "quota_spent")
        }
    return summary


def memory(count: int) -> dict[str, Any]:
    """Bytes per id: the seen-id set vs a set of the same strings (tracemalloc)."""
    rng = random.Random(1)
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(count)]

    def traced(build: Any) -> tuple[int, float]:
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        kept = build()
        seconds = time.perf_counter() - started
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del kept
        return size, seconds

    def seen_ids() -> SeenIds:
        seen = SeenIds()
        for value in ids:
            seen.add(value)
        return seen

    def fresh_strings() -> set[str]:
        # New string objects, as a listing decodes them (not the ones held by `ids`).
        return {value.encode().decode() for value in ids}

    seen_bytes, seen_seconds = traced(seen_ids)
    set_bytes, set_seconds = traced(fresh_strings)
    return {
        "ids": count,
        "seen_ids_bytes_per_id": seen_bytes / count,
        "string_set_bytes_per_id": set_bytes / count,
        "ratio": set_bytes / seen_bytes,
        "seen_ids_seconds": seen_seconds,
        "string_set_seconds": set_seconds,
    }


async def dam_costs(page_size: int) -> dict[str, Any]:
    """Requests (and 304s) of an unchanged OpenAsset and Phraseanet listing per mode."""
    from asyncdam.emulator.openasset import create_app as openasset_app
    from asyncdam.emulator.phraseanet import create_app as phraseanet_app
    from asyncdam.emulator.transport import emulator_transport
    from asyncdam.openasset import OpenAsset
    from asyncdam.phraseanet import Phraseanet

    secret = "bench-secret-0123456789abcdefghijklmnop"
    out: dict[str, Any] = {}
    oa_app = openasset_app(EmulatorConfig(seed=3, token=f"5:{secret}"))
    pn_app = phraseanet_app(EmulatorConfig(token="bench-token"))
    for mode, options in MODES.items():
        async with Engine(transport=emulator_transport(oa_app)) as engine:
            async with OpenAsset("http://127.0.0.1", engine=engine, token=("5", secret)) as oa:
                pager = oa.files.list(page_size=page_size).reconfigured(**options)
                items = len([f async for f in pager])
            out.setdefault("openasset_files", {})[mode] = {
                "items": items,
                "requests": engine.stats.requests,
                "not_modified": engine.stats.not_modified,
            }
        async with Engine(transport=emulator_transport(pn_app)) as engine:
            async with Phraseanet("http://127.0.0.1", engine=engine, token="bench-token") as pn:
                pager = pn.records.search(per_page=page_size).reconfigured(**options)
                items = len([r async for r in pager])
            out.setdefault("phraseanet_search", {})[mode] = {
                "items": items,
                "requests": engine.stats.requests,
                "not_modified": engine.stats.not_modified,
            }
    return out


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the three parts."""
    config = EmulatorConfig(
        quota=10**6,
        window=300,
        concurrency=args.concurrency,
        faults=FaultConfig(latency_ms=args.latency_ms),
    )
    with phrase_emulator_process(config) as emu:
        figures: dict[str, Any] = {"unchanged": await unchanged(emu, args)}
        if args.churn_runs:
            churn_args = argparse.Namespace(**{**vars(args), "runs": args.churn_runs})
            figures["churn"] = await churn(emu, churn_args)
    figures["dam_costs"] = await dam_costs(args.dam_page_size)
    memory_runs = [memory(args.memory_ids) for _ in range(args.runs)]
    figures["memory"] = {
        key: spread([m[key] for m in memory_runs])
        for key in ("seen_ids_bytes_per_id", "string_set_bytes_per_id", "ratio")
    }
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/consistency.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--churn-runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--churn-per-minute", type=float, default=0.01)
    parser.add_argument("--work-ms", type=float, default=2.0)
    parser.add_argument("--memory-ids", type=int, default=1_000_000)
    parser.add_argument("--dam-page-size", type=int, default=100)
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("--runs must be at least 3 (min / median / max)")
    figures = asyncio.run(measure(args))
    path = write_result("consistency", figures, vars(args))
    unchanged_figures = figures["unchanged"]["guarded"]
    print(
        "consistency: unchanged, guarded/plain time "
        f"{unchanged_figures['time_ratio']['median']:.2f} (goal <= 1.25), extra quota "
        f"{unchanged_figures['extra_quota']['max']:.0f} (goal 0); memory "
        f"{figures['memory']['seen_ids_bytes_per_id']['median']:.1f} B/id -> {path}"
    )
    if "churn" in figures:
        guarded = figures["churn"]["guarded"]
        print(
            f"  churn: guarded missed max {guarded['missed']['max']:.0f}, "
            f"repeated max {guarded['repeated']['max']:.0f} (goal 0 and 0); plain missed max "
            f"{figures['churn']['plain']['missed']['max']:.0f}"
        )
    return figures


if __name__ == "__main__":
    main()
