"""The listing guarantee against a fake server whose collection changes while it is listed.

Every item that exists for the whole listing must come out exactly once; items created or
deleted meanwhile may or may not. Mutations happen at random moments (seeded), before, at and
after the cursor, with fetch-ahead at 0, 2 and 4, plain and streaming, and across a crash.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from asyncdam.engine.consistency import ListingChanged
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.page_strategies import LinkHeaderStrategy, OffsetLimitStrategy, PageStrategy
from asyncdam.engine.pagination import ListingMonitor, Paginator
from asyncdam.engine.request import Request, Response
from asyncdam.phraseanet.paging import PhraseanetOffsetStrategy

pytestmark = pytest.mark.anyio

URL = "https://api.example.test/items"
BASE = Request(method="GET", path="/items")
STYLES = ["pagination", "offset", "phraseanet"]


class ChurnServer:
    """A collection in creation order; each request may first delete or create items."""

    def __init__(
        self,
        n: int,
        style: str,
        *,
        seed: int,
        rate: float = 0.0,
        bursts: int = 0,
        horizon: int = 16,
        max_ops: int = 2,
    ) -> None:
        self.rng = random.Random(seed)
        # Request numbers (counting both moments of each request) at which a burst happens.
        self.schedule = set(self.rng.sample(range(1, 2 * horizon), bursts)) if bursts else set()
        self.moment = 0
        self.items = list(range(1, n + 1))
        self.next_id = n + 1
        self.style = style
        self.rate = rate
        self.max_ops = max_ops
        self.deleted: set[int] = set()
        self.created: set[int] = set()
        self.requests = 0

    def mutate(self) -> None:
        """A random burst of deletions (anywhere) and creations (at the end)."""
        for _ in range(self.rng.randint(1, self.max_ops)):
            if self.items and self.rng.random() < 0.6:
                victim = self.items.pop(self.rng.randrange(len(self.items)))
                self.deleted.add(victim)
            else:
                self.items.append(self.next_id)
                self.created.add(self.next_id)
                self.next_id += 1

    async def fetch(self, request: Request) -> Response:
        self.requests += 1
        await anyio.lowlevel.checkpoint()
        self._maybe_mutate()
        await anyio.sleep(self.rng.uniform(0, 0.0005))
        self._maybe_mutate()
        return self._respond(request)

    def _maybe_mutate(self) -> None:
        self.moment += 1
        if self.moment in self.schedule or self.rng.random() < self.rate:
            self.mutate()

    def _respond(self, request: Request) -> Response:
        query = dict(request.query or {})
        data = dict(request.data or [])
        total = len(self.items)
        headers: dict[str, str] = {}
        if self.style == "pagination":
            size, page = int(query.get("per_page", 25)), int(query.get("page", 1))
            start = (page - 1) * size
            pages = max(1, -(-total // size))
            headers["Pagination"] = json.dumps(
                {
                    "total_count": total,
                    "total_pages_count": pages,
                    "current_page": page,
                    "current_per_page": size,
                }
            )
        elif self.style == "offset":
            start, size = int(query.get("offset", 0)), int(query.get("limit", 10))
            headers["X-Full-Results-Count"] = str(total)
        else:
            start, size = int(data.get("offset_start", 0)), int(data.get("per_page", 10))
        chunk = [{"id": i} for i in self.items[start : start + size]]
        body: Any = chunk
        if self.style == "phraseanet":
            body = {"total_results": total, "results": chunk}
        return Response(
            status=200,
            headers=httpx.Headers(headers),
            content=json.dumps(body).encode(),
            method="GET",
            url=URL,
        )

    @property
    def survivors(self) -> set[int]:
        return set(range(1, self.next_id)) - self.deleted - self.created


def _decode(response: Response) -> Sequence[dict[str, int]]:
    body = response.json()
    return list(body["results"] if isinstance(body, dict) else body)


def _strategy(style: str, size: int) -> PageStrategy:
    if style == "pagination":
        return LinkHeaderStrategy(per_page=size)
    if style == "offset":
        return OffsetLimitStrategy(limit=size)
    return PhraseanetOffsetStrategy(
        size=size, total=lambda r: r.json()["total_results"], location="data"
    )


def _base(style: str) -> Request:
    return BASE.evolve(data=[]) if style == "phraseanet" else BASE


def make(
    server: ChurnServer,
    size: int,
    *,
    fetch_ahead: int = 0,
    cursor: Any = None,
    monitor: ListingMonitor | None = None,
    **options: Any,
) -> Paginator[dict[str, int]]:
    # The fake server creates items at the end: a stable order, as the adapters ask for.
    options.setdefault("stable_order", server.style == "pagination")
    return Paginator(
        server.fetch,
        _base(server.style),
        _strategy(server.style, size),
        _decode,
        fetch_ahead=fetch_ahead,
        cursor=cursor,
        identify=lambda item: item["id"],
        monitor=monitor,
        **options,
    )


def _check(server: ChurnServer, got: list[int]) -> None:
    assert len(got) == len(set(got)), "an item was handed out twice"
    missing = server.survivors - set(got)
    assert not missing, f"survivors never handed out: {sorted(missing)[:10]}"
    assert set(got) <= set(range(1, server.next_id))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fetch_ahead", [0, 2, 4])
async def test_survivors_exactly_once_under_churn(style: str, fetch_ahead: int) -> None:
    for seed in range(40):
        server = ChurnServer(97, style, seed=seed, bursts=3)
        pager = make(server, 10, fetch_ahead=fetch_ahead, reconcile_passes=8)
        if seed % 2:
            async with pager:
                got = [item["id"] async for item in pager]
        else:
            got = [item["id"] async for item in pager]
        _check(server, got)


@pytest.mark.parametrize("style", STYLES)
async def test_pages_view_is_deduplicated_too(style: str) -> None:
    for seed in range(20):
        server = ChurnServer(60, style, seed=seed, bursts=3)
        pager = make(server, 7, fetch_ahead=2, reconcile_passes=8)
        got = [item["id"] async for page in pager.pages() for item in page.items]
        _check(server, got)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fetch_ahead", [2, 4])
async def test_crash_and_resume_under_churn(style: str, fetch_ahead: int) -> None:
    for seed in range(25):
        rng = random.Random(seed)
        server = ChurnServer(83, style, seed=seed, bursts=3, horizon=30)
        got: list[int] = []
        saved: Any = None
        for attempt in range(6):
            crash_at = len(got) + rng.randint(1, 60) if attempt < 5 else None
            pager = make(server, 9, fetch_ahead=fetch_ahead, cursor=saved, reconcile_passes=8)
            try:
                async for item in pager:
                    if crash_at is not None and len(got) >= crash_at:
                        raise RuntimeError("crash")
                    got.append(item["id"])
                    saved = json.loads(json.dumps(pager.cursor))
                break
            except RuntimeError:
                if rng.random() < 0.5:
                    server.mutate()  # the collection also changes while the job is down
        _check(server, got)


async def test_unchanged_collection_costs_no_extra_pass() -> None:
    stats = EngineStats()
    server = ChurnServer(95, "pagination", seed=1)
    monitor = ListingMonitor(stats=stats, hooks=Hooks())
    got = [i["id"] async for i in make(server, 10, fetch_ahead=4, monitor=monitor)]
    assert got == list(range(1, 96))
    # 10 pages, plus the anchor read and the first page's revalidation: the last page's own
    # read (sent once every page before it has arrived) is the closing read of the anchor.
    assert server.requests == 12
    assert stats.listing_drift == 0 and stats.reconciliation_passes == 0


async def test_offset_listing_costs_only_the_overlap() -> None:
    server = ChurnServer(
        95,
        "offset",
        seed=1,
    )
    got = [i["id"] async for i in make(server, 10, fetch_ahead=4)]
    assert got == list(range(1, 96))
    assert server.requests == 11  # 95 items, 9 new per page after the first


async def test_drift_is_reported_and_repaired() -> None:
    stats, events = EngineStats(), []
    hooks = Hooks(drift=[events.append], reconcile=[events.append])
    server = ChurnServer(
        50,
        "pagination",
        seed=3,
    )
    pager = make(server, 10, monitor=ListingMonitor(stats=stats, hooks=hooks, url="/items"))
    got: list[int] = []
    async for item in pager:
        got.append(item["id"])
        if len(got) == 25:
            for victim in got[:5]:  # already handed out: pushes 5 unseen items back
                server.items.remove(victim)
                server.deleted.add(victim)
    _check(server, got)
    assert stats.listing_drift == 1
    assert stats.reconciliation_passes == 1
    assert stats.reconciled_items == 5
    kinds = [(e.kind, e.detail.get("signal")) for e in events]
    assert ("drift", "total_changed") in kinds
    assert kinds[-1] == ("reconcile", None)
    assert all(isinstance(e, Event) for e in events)


async def test_balanced_churn_is_caught_by_the_anchor() -> None:
    """A deletion before the cursor and a creation at the end keep the total unchanged."""
    server = ChurnServer(
        50,
        "pagination",
        seed=3,
    )
    pager = make(server, 10)
    got: list[int] = []
    async for item in pager:
        got.append(item["id"])
        if len(got) == 25:
            server.items.remove(3)
            server.deleted.add(3)
            server.items.append(server.next_id)
            server.created.add(server.next_id)
            server.next_id += 1
    _check(server, got)


async def test_raise_policy_raises_listing_changed() -> None:
    server = ChurnServer(
        50,
        "offset",
        seed=3,
    )
    pager = make(server, 10, consistency="raise")
    got: list[int] = []
    with pytest.raises(ListingChanged) as info:
        async for item in pager:
            got.append(item["id"])
            if len(got) == 15:
                server.items.remove(2)
    assert info.value.signal in ("total_changed", "boundary_mismatch")


async def test_repair_gives_up_after_the_bound() -> None:
    server = ChurnServer(40, "offset", seed=5, rate=1.0, max_ops=3)
    with pytest.raises(ListingChanged) as info:
        async for _ in make(server, 5, reconcile_passes=1):
            pass
    assert info.value.passes == 2


async def test_always_reconciles_once_even_without_drift() -> None:
    stats = EngineStats()
    server = ChurnServer(
        30,
        "offset",
        seed=5,
    )
    pager = make(server, 10, reconcile="always", monitor=ListingMonitor(stats, Hooks()))
    assert [i["id"] async for i in pager] == list(range(1, 31))
    assert stats.reconciliation_passes == 1 and stats.reconciled_items == 0


async def test_off_is_the_plain_listing() -> None:
    server = ChurnServer(
        30,
        "offset",
        seed=5,
    )
    got = [i["id"] async for i in make(server, 10, consistency="off")]
    assert got == list(range(1, 31)) and server.requests == 3


async def test_a_creation_at_the_end_needs_no_repair_in_a_stable_order() -> None:
    stats, events = EngineStats(), []
    server = ChurnServer(50, "pagination", seed=3)
    monitor = ListingMonitor(stats=stats, hooks=Hooks(drift=[events.append]))
    got: list[int] = []
    async for item in make(server, 10, monitor=monitor):
        got.append(item["id"])
        if len(got) == 25:
            server.items.append(server.next_id)
            server.created.add(server.next_id)
            server.next_id += 1
    _check(server, got)
    assert stats.listing_drift == 1 and stats.reconciliation_passes == 0
    assert [(e.detail["signal"], e.detail["harmless"]) for e in events] == [("total_changed", True)]
