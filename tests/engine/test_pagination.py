"""Paginator against a fake fetch function (no network), on asyncio and trio."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from contextlib import aclosing
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from asyncdam.engine.errors import ServerError
from asyncdam.engine.page_strategies import (
    BodyOffsetStrategy,
    LinkHeaderStrategy,
    OffsetLimitStrategy,
    PageNumberStrategy,
    PageStrategy,
    header_total,
)
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Request, Response

pytestmark = pytest.mark.anyio
URL = "https://api.example.test/v2/items"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _param(request: Request, name: str) -> int | None:
    assert isinstance(request.query, dict)
    value = request.query.get(name)
    return None if value is None else int(value)


class FakeServer:
    """A listing of `n` items served in one of the services' paging styles.

    Records every request, how many are in flight, and which were cancelled; optional per-call
    delays (seeded) and injected failures.
    """

    def __init__(
        self,
        n: int,
        style: str,
        *,
        clamp: int | None = None,
        seed: int | None = None,
        fail: Callable[[int], bool] | None = None,
        block: Callable[[int], bool] | None = None,
    ) -> None:
        self.items = [f"item-{i}" for i in range(n)]
        self.style = style
        self.clamp = clamp
        self.rng = random.Random(seed) if seed is not None else None
        self.fail = fail
        self.block = block
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0
        self.blocked = anyio.Event()

    def _window(self, request: Request) -> tuple[int, int, int]:
        """(start offset, size, page number) the request asks for."""
        if self.style in ("link", "link-quoted", "pagination", "bare", "page"):
            size = _param(request, "per_page") or 25
            size = min(size, self.clamp or size)
            page = _param(request, "page") or 1
            return (page - 1) * size, size, page
        names = ("offset", "limit") if self.style == "offset" else ("offset_start", "per_page")
        offset = _param(request, names[0]) or 0
        size = _param(request, names[1]) or 10
        size = min(size, self.clamp or size)
        return offset, size, 0

    async def fetch(self, request: Request) -> Response:
        self.requests.append(request)
        start, size, page = self._window(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.block is not None and self.block(start):
                self.blocked.set()
                await anyio.sleep_forever()
            if self.rng is not None:
                await anyio.sleep(self.rng.uniform(0.0002, 0.002))
            else:
                await anyio.lowlevel.checkpoint()
            if self.fail is not None and self.fail(start):
                raise ServerError("boom", status=503, method="GET", url=URL)
            return self._respond(start, size, page)
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1

    def _respond(self, start: int, size: int, page: int) -> Response:
        chunk = self.items[start : start + size]
        total, pages = len(self.items), max(-(-len(self.items) // size), 1)
        headers: dict[str, str] = {}
        body: Any = chunk
        if self.style in ("link", "link-quoted"):
            quote = '"' if self.style == "link-quoted" else ""
            rels = [f"<{URL}?page=1>; rel={quote}first{quote}"]
            if page < pages:
                # The link carries only the page number, like Phrase's examples.
                rels.append(f"<{URL}?page={page + 1}>; rel={quote}next{quote}")
            rels.append(f"<{URL}?page={pages}>; rel={quote}last{quote}")
            headers["Link"] = ", ".join(reversed(rels))
        elif self.style == "pagination":
            headers["Pagination"] = json.dumps(
                {
                    "total_count": total,
                    "total_pages_count": pages,
                    "current_page": page,
                    "current_per_page": size,
                    "previous_page": page - 1 if page > 1 else None,
                    "next_page": page + 1 if page < pages else None,
                }
            )
        elif self.style == "page":
            headers["X-Total"] = str(total)
        elif self.style == "offset":
            headers["X-Full-Results-Count"] = str(total)
        elif self.style == "body":
            body = {"response": {"total_results": total, "results": {"records": chunk}}}
        return Response(
            status=200,
            headers=httpx.Headers(headers),
            content=json.dumps(body).encode(),
            method="GET",
            url=URL,
        )


def decode_list(response: Response) -> Sequence[str]:
    data = response.json()
    if isinstance(data, dict):
        return list(data["response"]["results"]["records"])
    return list(data)


def strategy_for(style: str, size: int) -> PageStrategy:
    if style in ("link", "link-quoted", "pagination", "bare"):
        return LinkHeaderStrategy(per_page=size)
    if style == "page":
        return PageNumberStrategy(per_page=size, total=header_total("X-Total"))
    if style == "offset":
        return OffsetLimitStrategy(limit=size)
    return BodyOffsetStrategy(limit=size, total=lambda r: r.json()["response"]["total_results"])


STYLES = ["link", "link-quoted", "pagination", "bare", "page", "offset", "body"]
BASE = Request(method="GET", path="/items", query={"q": "tags:web"})


def paginator(
    server: FakeServer, size: int = 10, *, fetch_ahead: int = 0, cursor: Any = None
) -> Paginator[str]:
    return Paginator(
        server.fetch,
        BASE,
        strategy_for(server.style, size),
        decode_list,
        fetch_ahead=fetch_ahead,
        cursor=cursor,
    )


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("n", [0, 1, 10, 25, 47])
async def test_all_items_in_order(style: str, n: int) -> None:
    server = FakeServer(n, style)
    got = [item async for item in paginator(server)]
    assert got == server.items
    assert all(dict(r.query)["q"] == "tags:web" for r in server.requests)
    # Stopping rules: at most one request beyond the pages that hold items.
    assert len(server.requests) <= max(-(-n // 10), 1) + 1


@pytest.mark.parametrize("style", ["pagination", "page", "offset", "body"])
async def test_fetch_ahead_keeps_order_under_random_delays(style: str) -> None:
    for seed in range(5):
        server = FakeServer(203, style, seed=seed)
        pager = paginator(server, fetch_ahead=4)
        got = []
        async for item in pager:
            got.append(item)
            assert len(pager._buffer) < 4  # memory stays flat: a bounded buffer
        assert got == server.items
        assert pager.total == 203
        assert server.max_in_flight == 4
        assert len(server.requests) == 21  # every page fetched once, none past the end


async def test_fetch_ahead_off_means_one_at_a_time() -> None:
    server = FakeServer(100, "offset", seed=1)
    assert [i async for i in paginator(server, fetch_ahead=0)] == server.items
    assert server.max_in_flight == 1


async def test_link_only_listing_cannot_fetch_ahead() -> None:
    # Without a total the page count is unknown, so pages come one by one.
    server = FakeServer(60, "link", seed=2)
    assert [i async for i in paginator(server, fetch_ahead=4)] == server.items
    assert server.max_in_flight == 1


async def test_pages_and_total() -> None:
    server = FakeServer(35, "pagination")
    pager = paginator(server)
    unknown = pager.total
    assert unknown is None
    pages = [page async for page in pager.pages()]
    assert [p.index for p in pages] == [0, 1, 2, 3]
    assert [len(p.items) for p in pages] == [10, 10, 10, 5]
    assert pager.total == 35
    assert pager.total_pages == 4
    assert pages[0].response.status == 200


async def test_first_page_is_not_fetched_twice() -> None:
    server = FakeServer(25, "offset")
    pager = paginator(server, fetch_ahead=3)
    first = await pager.first_page()
    assert list(first.items) == server.items[:10]
    assert pager.total == 25
    assert (await pager.first_page()) is first
    assert [i async for i in pager] == server.items
    # Pages fetched ahead start concurrently; trio and asyncio may send them in either order.
    assert sorted(_param(r, "offset") for r in server.requests) == [0, 10, 20]


async def test_clamped_page_size_loses_nothing() -> None:
    for style in ("pagination", "offset", "body"):
        server = FakeServer(95, style, clamp=7)
        assert [i async for i in paginator(server, 20, fetch_ahead=3)] == server.items


async def test_early_break_leaves_nothing_running() -> None:
    server = FakeServer(500, "offset", seed=3)
    pager = paginator(server, fetch_ahead=4)
    async for item in pager:
        if item == "item-15":
            break
    assert server.in_flight == 0
    assert len(server.requests) <= 1 + 4  # first page, then one window
    await anyio.sleep(0.01)
    assert server.in_flight == 0


async def test_aclose_stops_iteration() -> None:
    server = FakeServer(100, "page", seed=4)
    pager = paginator(server, fetch_ahead=3)
    async with aclosing(pager.__aiter__()) as items:
        async for item in items:
            if item == "item-3":
                break
    assert [i async for i in pager] == []
    assert server.in_flight == 0


async def test_cancellation_cancels_pending_fetches() -> None:
    # The page at offset 40 never answers; cancel the consumer while that window is pending.
    server = FakeServer(100, "offset", block=lambda start: start == 40)
    pager = paginator(server, fetch_ahead=4)
    got: list[str] = []

    async def consume() -> None:
        async for item in pager:
            got.append(item)

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        await server.blocked.wait()
        await anyio.sleep(0.005)
        group.cancel_scope.cancel()
    # Pages 1-4 travel in one window, which the stuck page holds back: only page 0 went out.
    assert got == server.items[:10]
    assert server.in_flight == 0
    assert server.cancelled == 1
    # The cursor still points at the first item not handed out, and the paginator still works.
    assert pager.cursor["index"] == 1
    assert pager.cursor["skip"] == 0
    server.block = None
    assert [i async for i in pager] == server.items[10:]


@pytest.mark.parametrize("fetch_ahead", [0, 4])
async def test_error_surfaces_after_earlier_items(fetch_ahead: int) -> None:
    server = FakeServer(100, "offset", seed=5, fail=lambda start: start == 30)
    pager = paginator(server, fetch_ahead=fetch_ahead)
    got: list[str] = []
    with pytest.raises(ServerError):
        async for item in pager:
            got.append(item)
    assert got == server.items[:30]
    assert server.in_flight == 0
    assert pager.cursor["index"] == 3
    # Pages after the failure are never fetched (sequential) or cut short (ahead window).
    assert max(_param(r, "offset") or 0 for r in server.requests) <= 30 + 10 * fetch_ahead


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fetch_ahead", [0, 3])
async def test_resume_after_crash_yields_each_item_once(style: str, fetch_ahead: int) -> None:
    rng = random.Random(hash((style, fetch_ahead)) & 0xFFFF)
    for crash_after in [0, 1, 9, 10, 11, 29, 30, rng.randrange(1, 57), 57]:
        # Random delays matter only when pages travel together.
        server = FakeServer(57, style, seed=rng.randrange(1000) if fetch_ahead else None)
        delivered: list[str] = []
        saved = json.dumps(paginator(server).cursor)
        try:
            pager = paginator(server, fetch_ahead=fetch_ahead)
            async for item in pager:
                if len(delivered) == crash_after:
                    raise RuntimeError("crash")
                delivered.append(item)
                saved = json.dumps(pager.cursor)  # persisted after each item
        except RuntimeError:
            pass
        resumed = paginator(server, fetch_ahead=fetch_ahead, cursor=json.loads(saved))
        delivered += [item async for item in resumed]
        assert delivered == server.items, (style, crash_after)


async def test_resume_after_fetch_error() -> None:
    failing = {"on": True}
    server = FakeServer(45, "pagination", fail=lambda start: start == 20 and failing["on"])
    pager = paginator(server, fetch_ahead=2)
    delivered: list[str] = []
    saved: dict[str, Any] = {}
    with pytest.raises(ServerError):
        async for item in pager:
            delivered.append(item)
            saved = pager.cursor
    failing["on"] = False
    delivered += [i async for i in paginator(server, fetch_ahead=2, cursor=saved)]
    assert delivered == server.items


async def test_pages_resume_skips_served_items() -> None:
    server = FakeServer(30, "page")
    pager = paginator(server)
    items = pager.__aiter__()
    for _ in range(13):
        await items.__anext__()
    cursor = pager.cursor
    assert (cursor["index"], cursor["skip"]) == (1, 3)
    pages = [p async for p in paginator(server, cursor=cursor).pages()]
    assert [p.index for p in pages] == [1, 2]
    assert list(pages[0].items) == server.items[13:20]


async def test_finished_cursor_fetches_nothing() -> None:
    server = FakeServer(12, "offset")
    pager = paginator(server)
    assert [i async for i in pager] == server.items
    assert pager.cursor["done"] is True
    before = len(server.requests)
    assert [i async for i in paginator(server, cursor=pager.cursor)] == []
    assert len(server.requests) == before
    with pytest.raises(LookupError):
        await paginator(server, cursor=pager.cursor).first_page()


async def test_cursor_after_first_page_points_at_its_start() -> None:
    server = FakeServer(30, "offset")
    pager = paginator(server)
    await pager.first_page()
    cursor = pager.cursor
    assert (cursor["index"], cursor["skip"]) == (0, 0)


@pytest.mark.parametrize(
    "cursor",
    [
        {"v": 2, "strategy": "offset-limit", "index": 0, "skip": 0, "at": {"offset": 0}},
        {"v": 1, "strategy": "link-header", "index": 0, "skip": 0, "at": {"page": 1}},
        {"v": 1, "strategy": "offset-limit", "index": -1, "skip": 0, "at": {"offset": 0}},
        {"v": 1, "strategy": "offset-limit", "index": 0, "skip": 0},
    ],
)
async def test_bad_cursors_are_refused(cursor: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        paginator(FakeServer(1, "offset"), cursor=cursor)


async def test_negative_fetch_ahead_refused() -> None:
    with pytest.raises(ValueError):
        paginator(FakeServer(1, "offset"), fetch_ahead=-1)


# -- streaming mode: `async with paginator:` -----------------------------------------------------


@pytest.mark.parametrize("style", ["pagination", "page", "offset", "body"])
async def test_streaming_keeps_order_and_bounds(style: str) -> None:
    for seed in range(5):
        server = FakeServer(203, style, seed=seed)
        got = []
        async with paginator(server, fetch_ahead=4) as pager:
            async for item in pager:
                got.append(item)
                assert len(pager._slots) <= 4
        assert got == server.items
        assert server.max_in_flight == 4
        assert len(server.requests) == 21
        assert server.in_flight == 0


async def test_streaming_slides_past_a_slow_page() -> None:
    # Unlike a window, the stream hands out pages 1-3 while page 4 is stuck.
    server = FakeServer(100, "offset", block=lambda start: start == 40)
    got: list[str] = []
    with anyio.move_on_after(5):
        async with paginator(server, fetch_ahead=4) as pager:
            async for item in pager:
                got.append(item)
                if len(got) == 40:
                    await server.blocked.wait()
                    break
    assert got == server.items[:40]
    assert server.in_flight == 0
    assert server.cancelled >= 1


async def test_streaming_cancellation_from_outside() -> None:
    server = FakeServer(100, "offset", block=lambda start: start == 40)
    got: list[str] = []
    reached = anyio.Event()

    async def consume() -> None:
        async with paginator(server, fetch_ahead=4) as pager:
            async for item in pager:
                got.append(item)
                if len(got) == 40:
                    reached.set()

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        await server.blocked.wait()
        await reached.wait()
        await anyio.sleep(0.002)
        group.cancel_scope.cancel()
    assert got == server.items[:40]
    assert server.in_flight == 0


async def test_streaming_error_surfaces_in_order() -> None:
    server = FakeServer(100, "offset", seed=6, fail=lambda start: start == 30)
    got: list[str] = []
    with pytest.raises(ServerError):
        async with paginator(server, fetch_ahead=3) as pager:
            async for item in pager:
                got.append(item)
    assert got == server.items[:30]
    assert server.in_flight == 0


async def test_streaming_resume_after_crash() -> None:
    for crash_after in (5, 33, 70):
        server = FakeServer(96, "pagination", seed=crash_after)
        delivered: list[str] = []
        saved: dict[str, Any] = {}
        with pytest.raises(RuntimeError):
            async with paginator(server, fetch_ahead=3) as pager:
                async for item in pager:
                    if len(delivered) == crash_after:
                        raise RuntimeError("crash")
                    delivered.append(item)
                    saved = json.loads(json.dumps(pager.cursor))
        async with paginator(server, fetch_ahead=3, cursor=saved) as resumed:
            delivered += [item async for item in resumed]
        assert delivered == server.items


async def test_streaming_twice_is_refused() -> None:
    pager = paginator(FakeServer(5, "offset"))
    async with pager:
        with pytest.raises(RuntimeError):
            async with pager:
                pass


class ShortPageServer(FakeServer):
    """Answers the page at offset 20 with only 7 rows although the total says more."""

    def _respond(self, start: int, size: int, page: int) -> Response:
        if start == 20:
            size = 7
        return super()._respond(start, size, page)


@pytest.mark.parametrize("stream", [False, True])
async def test_unexpected_short_page_realigns_fetch_ahead(stream: bool) -> None:
    server = ShortPageServer(100, "offset", seed=8)
    pager = paginator(server, fetch_ahead=4)
    if stream:
        async with pager:
            got = [item async for item in pager]
    else:
        got = [item async for item in pager]
    # Offsets guessed ahead (30, 40, ...) no longer line up after the short page: they are
    # dropped and paging goes on from offset 27, so nothing is lost or repeated.
    assert got == server.items
    assert 27 in [_param(r, "offset") for r in server.requests]
    assert server.in_flight == 0


async def test_resume_builds_a_paginator_that_continues_after_the_cursor() -> None:
    """`paginator.resume(cursor)` continues a listing any adapter returned, without its args."""
    items = list(range(23))

    async def fetch(request: Request) -> Response:
        query = dict(request.query)
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 5))
        body = json.dumps(items[offset : offset + limit]).encode()
        headers = httpx.Headers({"X-Full-Results-Count": str(len(items))})
        return Response(status=200, headers=headers, content=body, method="GET", url="u")

    strategy = OffsetLimitStrategy(limit=5)
    first = Paginator(fetch, Request(method="GET", path="/x"), strategy, lambda r: r.json())
    seen: list[int] = []
    async for item in first:
        seen.append(item)
        if len(seen) == 7:
            break
    cursor = json.loads(json.dumps(first.cursor))
    rest = [item async for item in first.resume(cursor)]
    assert seen + rest == items
