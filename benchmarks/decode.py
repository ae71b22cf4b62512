"""Decode cost: CPU per item of streaming `phrase.keys.list`, beside raw httpx + json.loads.

One in-process transport serves a 10,000-key listing in pages of 100 (prebuilt JSON bodies with
Phrase's `Link`, `Pagination` and `Date` headers), so only client CPU is measured, and the same
bytes go to every contender, interleaved in rounds so machine noise hits all alike:

- raw: httpx.AsyncClient + `json.loads` to dicts (the baseline),
- msgspec: the same pages decoded by msgspec into a Struct (the floor reference),
- asyncdam: `Phrase(...).keys.list(project)`, engine, paginator and models included (the
  default listing consistency guard on: dedupe by id, drift checks),
- asyncdam unguarded: the same with `consistency="off"` (what the guard costs is the difference),
- models only: the shared decoder structuring the already-parsed pages (no I/O), which tells
  how the asyncdam figure splits between decoding and the engine + paginator.

CPU time is `time.process_time()`. Goal: asyncdam / raw <= 2.0 (the median of the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from typing import Any

import httpx

from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase
from benchmarks._common import write_result

BASE = "https://api.phrase.com/v2"
PROJECT = "p1"


def _key(i: int) -> dict[str, Any]:
    stamp = (dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i)).isoformat()
    return {
        "id": f"{i:032x}",
        "name": f"screen.section.key_{i}",
        "description": f"Shown on screen {i % 40}",
        "name_hash": f"{i * 7919:032x}",
        "plural": i % 5 == 0,
        "use_ordinal_rules": False,
        "tags": ["web", f"screen-{i % 40}"],
        "data_type": "string",
        "created_at": stamp.replace("+00:00", "Z"),
        "updated_at": stamp.replace("+00:00", "Z"),
    }


def build_pages(total: int, per_page: int) -> dict[int, tuple[bytes, dict[str, str]]]:
    """Page number -> (body, headers) for the whole listing."""
    pages: dict[int, tuple[bytes, dict[str, str]]] = {}
    count = -(-total // per_page)
    for page in range(1, count + 1):
        items = [_key(i) for i in range((page - 1) * per_page, min(total, page * per_page))]
        headers = {
            "Content-Type": "application/json",
            "Date": formatdate(usegmt=True),  # the service dates its answers (see the guard)
            "Pagination": json.dumps(
                {
                    "total_count": total,
                    "current_page": page,
                    "current_per_page": per_page,
                    "total_pages_count": count,
                }
            ),
        }
        if page < count:
            url = f"{BASE}/projects/{PROJECT}/keys?page={page + 1}&per_page={per_page}"
            headers["Link"] = f'<{url}>; rel="next"'
        pages[page] = (json.dumps(items).encode(), headers)
    return pages


def transport(pages: dict[int, tuple[bytes, dict[str, str]]]) -> httpx.MockTransport:
    """An in-process server answering the listing's pages."""

    def handler(request: httpx.Request) -> httpx.Response:
        body, headers = pages[int(request.url.params.get("page", "1"))]
        return httpx.Response(200, content=body, headers=headers)

    return httpx.MockTransport(handler)


async def run_raw(pages: dict[int, tuple[bytes, dict[str, str]]], per_page: int) -> int:
    """Every page with a plain client, each body to dicts with `json.loads`."""
    seen = 0
    async with httpx.AsyncClient(transport=transport(pages), base_url=BASE) as client:
        for page in range(1, len(pages) + 1):
            response = await client.get(
                f"/projects/{PROJECT}/keys", params={"page": page, "per_page": per_page}
            )
            response.raise_for_status()
            for _ in json.loads(response.content):  # the consumer visits each item
                seen += 1
    return seen


def _msgspec_runner() -> Callable[[dict[int, tuple[bytes, dict[str, str]]], int], Awaitable[int]]:
    import msgspec

    class Key(msgspec.Struct):
        id: str
        name: str | None = None
        description: str | None = None
        name_hash: str | None = None
        plural: bool | None = None
        use_ordinal_rules: bool | None = None
        tags: list[str] | None = None
        data_type: str | None = None
        created_at: dt.datetime | None = None
        updated_at: dt.datetime | None = None

    decoder = msgspec.json.Decoder(list[Key])

    async def run(pages: dict[int, tuple[bytes, dict[str, str]]], per_page: int) -> int:
        seen = 0
        async with httpx.AsyncClient(transport=transport(pages), base_url=BASE) as client:
            for page in range(1, len(pages) + 1):
                response = await client.get(
                    f"/projects/{PROJECT}/keys", params={"page": page, "per_page": per_page}
                )
                response.raise_for_status()
                for _ in decoder.decode(response.content):
                    seen += 1
        return seen

    return run


async def run_asyncdam(
    pages: dict[int, tuple[bytes, dict[str, str]]], per_page: int, consistency: str = "repair"
) -> int:
    """The listing through the Phrase client: engine, paginator, lenient models."""
    async with Engine(transport=transport(pages)) as engine:
        phrase = Phrase(token="bench-token", engine=engine)
        seen = 0
        async for _ in phrase.keys.list(PROJECT, per_page=per_page, consistency=consistency):
            seen += 1
    return seen


async def run_models_only(parsed: list[list[dict[str, Any]]]) -> int:
    """Only the structuring: each parsed page through the decoder the Phrase client uses."""
    from asyncdam.phrase.converter import decoder
    from asyncdam.phrase.models import TranslationKey

    seen = 0
    for page in parsed:
        for _ in decoder.items(page, TranslationKey):
            seen += 1
    return seen


def _cpu(fn: Callable[[], Awaitable[int]], expected: int) -> float:
    started = time.process_time()
    seen = asyncio.run(fn())  # type: ignore[arg-type]
    spent = time.process_time() - started
    if seen != expected:
        raise RuntimeError(f"expected {expected} items, got {seen}")
    return spent / expected * 1e6  # microseconds of CPU per item


def measure(total: int, per_page: int, rounds: int) -> dict[str, Any]:
    """Interleave the contenders for `rounds` rounds; ratios per round, medians overall."""
    pages = build_pages(total, per_page)
    parsed = [json.loads(body) for body, _ in pages.values()]
    contenders: dict[str, Callable[[], Awaitable[int]]] = {
        "raw": lambda: run_raw(pages, per_page),
        "asyncdam": lambda: run_asyncdam(pages, per_page),
        "asyncdam_unguarded": lambda: run_asyncdam(pages, per_page, "off"),
        "models_only": lambda: run_models_only(parsed),
    }
    try:
        run_msgspec = _msgspec_runner()
        contenders["msgspec"] = lambda: run_msgspec(pages, per_page)
    except ImportError:  # the floor reference is optional (bench extra)
        pass
    for fn in contenders.values():  # warm-up: imports, structure functions, first connections
        _cpu(fn, total)
    per_item: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders)
    for r in range(rounds):
        for name in order if r % 2 == 0 else reversed(order):
            per_item[name].append(_cpu(contenders[name], total))
    ratios = [a / b for a, b in zip(per_item["asyncdam"], per_item["raw"], strict=True)]
    unguarded = [
        a / b for a, b in zip(per_item["asyncdam_unguarded"], per_item["raw"], strict=True)
    ]
    figures: dict[str, Any] = {
        "cpu_us_per_item_median": {k: statistics.median(v) for k, v in per_item.items()},
        "cpu_us_per_item": per_item,
        "ratio_asyncdam_vs_raw": statistics.median(ratios),
        "ratios": ratios,
        "ratio_unguarded_vs_raw": statistics.median(unguarded),
        "ratios_unguarded": unguarded,
    }
    if "msgspec" in per_item:
        figures["ratio_msgspec_vs_raw"] = statistics.median(
            a / b for a, b in zip(per_item["msgspec"], per_item["raw"], strict=True)
        )
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write benchmarks/results/decode.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    figures = measure(args.keys, args.per_page, args.rounds)
    figures["goal"] = "asyncdam / raw CPU per item <= 2.0"
    figures["met"] = figures["ratio_asyncdam_vs_raw"] <= 2.0
    path = write_result("decode", figures, vars(args))
    medians = figures["cpu_us_per_item_median"]
    print(
        "decode: CPU us/item "
        + ", ".join(f"{k} {v:.2f}" for k, v in medians.items())
        + f"; asyncdam/raw {figures['ratio_asyncdam_vs_raw']:.2f} (goal <= 2.0)"
        + f", unguarded/raw {figures['ratio_unguarded_vs_raw']:.2f}"
        + (f", msgspec/raw {figures['ratio_msgspec_vs_raw']:.2f}" if "msgspec" in medians else "")
        + f" -> {path}"
    )
    return figures


if __name__ == "__main__":
    main()
