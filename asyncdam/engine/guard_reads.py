"""The extra reads of a guarded page-number listing, driven by its `Paginator`.

The anchor read (the last page, right after the first, before any later page is requested, or
beside the first fetch-ahead window when its answer can prove that window) and the first page's
revalidation beside the closing read; `asyncdam.engine.consistency` has the
argument for their order. Functions over the paginator (as `page_iterators` does), kept apart so
the paginator stays about fetching pages in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import attrs

from asyncdam.engine.consistency import FirstAnswer
from asyncdam.engine.listing_guard import ListingGuard
from asyncdam.engine.request import Request

__all__ = ["AnchorRead", "anchor_beside_window", "launch_anchor", "read_anchor", "reread_first"]

AnchorResult = tuple[Sequence[Any], int | None]


@attrs.define(eq=False)
class AnchorRead:
    """The anchor page read in the background (streaming mode) as soon as page 1 is known."""

    index: int
    request: Request
    scope: anyio.CancelScope = attrs.field(factory=anyio.CancelScope)
    done: anyio.Event = attrs.field(factory=anyio.Event)
    result: AnchorResult | Exception | None = None


def anchor_request(p: Any) -> Request | None:
    """The request for the last page known, from the listing's first request."""
    last = p._last_index
    if last is None or last < 1:
        return None
    result: Request | None = p._strategy.skip_ahead(p._strategy.first_request(p._base), last)
    return result


async def fetch_anchor(p: Any, request: Request) -> AnchorResult:
    """Fetch and decode the anchor page; its items and the total it reports."""
    response = await p._fetch(request)
    items = p._decode(response)
    count = getattr(items, "source_count", len(items))
    return items, p._strategy.inspect(request, response, count).total_items


def launch_anchor(p: Any) -> None:
    """Streaming mode: start the anchor read while the consumer still works on page 1, so it
    queues before other work under the engine's cap (the window still waits for it)."""
    request = anchor_request(p)
    if request is None or p._group is None or p._last_index is None:
        return
    read = AnchorRead(p._last_index, request)
    p._anchor_read = read

    async def run() -> None:
        try:
            with read.scope:
                try:
                    read.result = await fetch_anchor(p, read.request)
                except Exception as exc:
                    read.result = exc
        finally:
            read.done.set()

    p._group.start_soon(run)


async def read_anchor(p: Any, guard: ListingGuard, first: FirstAnswer | None = None) -> bool:
    """Anchor mode: the last page, read right after the first one (or collected from the
    background read). Pages after the first are requested only once it has arrived, unless
    it was read beside them (`first` given): then True when it proves them (see
    `asyncdam.engine.consistency`), and False when they must be read again."""
    read, p._anchor_read = p._anchor_read, None
    last = p._last_index
    request = anchor_request(p)
    if request is None or last is None:
        if read is not None:
            read.scope.cancel()
        return False
    result: AnchorResult | Exception | None = None
    if read is not None:
        if read.index == last:
            await read.done.wait()
            result = read.result
        else:
            read.scope.cancel()
    if result is None:
        try:
            result = await fetch_anchor(p, request)
        except Exception as exc:
            result = exc
    if isinstance(result, Exception):
        p._failed = True
        p._buffer.clear()
        p._drop_slots()
        raise result
    items, total = result
    return await guard.record_anchor(last, items, total, request, first)


async def reread_first(p: Any, out: list[Sequence[Any] | Exception]) -> None:
    """Revalidate the first page (an ETag 304 when unchanged) for the closing check."""
    try:
        out.append(p._decode(await p._fetch(p._strategy.first_request(p._base))))
    except Exception as exc:
        out.append(exc)


async def anchor_beside_window(p: Any, guard: ListingGuard, request: Request) -> None:
    """Anchor mode, before page 1: read the anchor first, or beside the first window when the
    first answer can prove that window (else the window's pages are dropped, to be read after)."""
    first = guard.early_anchor(None if p._first is None else p._first.response)
    if first is None or p._fetch_ahead <= 1:
        await read_anchor(p, guard)
        return
    if p._group is not None:  # streaming: the window was launched beside the anchor
        if not await read_anchor(p, guard, first):
            p._buffer.clear()
            p._drop_slots()
        return
    outcome: list[bool | Exception] = []

    async def anchor() -> None:
        try:
            outcome.append(await read_anchor(p, guard, first))
        except Exception as exc:
            outcome.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(anchor)  # beside the window, which this task fetches meanwhile
        head = await p._fetch_window(1, request, width=p._fetch_ahead - 1)
    if outcome[0] is True:
        p._buffer[1] = (request, head)
        return
    p._buffer.clear()
    if isinstance(outcome[0], Exception):
        raise outcome[0]
