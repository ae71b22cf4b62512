"""Paginator: items or pages of a listing, in order, with bounded fetch-ahead and resume cursors.

Two ways to fetch ahead, both structured (no task outlives the scope that started it):

- plain `async for`: when the next page is not buffered, one `__anext__` call fetches a window of
  up to `fetch_ahead` pages concurrently in a task group entered and exited within that call, and
  later calls are served from the buffer. Nothing runs between calls, so `break`, `aclose()` or a
  cancellation leaves nothing behind, on asyncio and trio alike; the price is that a window is
  delivered when its slowest page has arrived.
- `async with paginator:` opens a task group for the block: pages are then fetched in a sliding
  window in the background (still at most `fetch_ahead` in flight or buffered) while the consumer
  works; leaving the block cancels whatever is pending. Background tasks never raise (errors are
  kept and re-raised in order), so the group never injects a cancellation into the consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import attrs

from asyncdam.engine.page_strategies import (
    BodyOffsetStrategy,
    LinkHeaderStrategy,
    OffsetLimitStrategy,
    PageInfo,
    PageNumberStrategy,
    PageStrategy,
)
from asyncdam.engine.request import Request, Response

__all__ = [
    "BodyOffsetStrategy",
    "LinkHeaderStrategy",
    "OffsetLimitStrategy",
    "Page",
    "PageInfo",
    "PageNumberStrategy",
    "PageStrategy",
    "Paginator",
]

T = TypeVar("T")
CURSOR_VERSION = 1


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing: its decoded items, 0-based position, and the raw response."""

    items: Sequence[T]
    index: int
    response: Response


@attrs.frozen
class _Fetched(Generic[T]):
    page: Page[T]
    request: Request
    info: PageInfo


@attrs.define(eq=False)
class _Slot(Generic[T]):
    """One background fetch in streaming mode."""

    request: Request
    scope: anyio.CancelScope = attrs.field(factory=anyio.CancelScope)
    done: anyio.Event = attrs.field(factory=anyio.Event)
    result: _Fetched[T] | Exception | None = None


class Paginator(Generic[T]):
    """An async iterator over the items of a listing; `pages()` gives whole pages.

    `fetch` sends one request (the engine's `ServiceClient.send`); `strategy` knows the paging
    style; `decode` turns a page's response into its items. When the page count is known after
    a page, up to `fetch_ahead` pages are requested at once (0 or 1: strictly one at a time),
    still delivered in order; inside `async with paginator:` they stream in the background. `cursor`
    (from `.cursor` of an earlier run) resumes exactly after the last item that run handed out.
    A paginator is single-use and for one consumer at a time.
    """

    def __init__(
        self,
        fetch: Callable[[Request], Awaitable[Response]],
        request: Request,
        strategy: PageStrategy,
        decode: Callable[[Response], Sequence[T]],
        *,
        fetch_ahead: int = 0,
        cursor: Mapping[str, Any] | None = None,
    ) -> None:
        if fetch_ahead < 0:
            raise ValueError("fetch_ahead must be >= 0")
        self._fetch = fetch
        self._strategy = strategy
        self._decode = decode
        self._fetch_ahead = fetch_ahead
        self._base = request
        # Pages a window fetched ahead, with the request each was fetched with.
        self._buffer: dict[int, tuple[Request, _Fetched[T] | Exception]] = {}
        self._group: anyio.abc.TaskGroup | None = None
        self._slots: dict[int, _Slot[T]] = {}
        self._replay: _Fetched[T] | None = None
        self._first: Page[T] | None = None
        self._total: int | None = None
        self._last_index: int | None = None
        self._exhausted = False
        self._failed = False
        self._closed = False
        # Where the next page comes from, and the items of it a previous run already handed out.
        self._next_index = 0
        self._next_request: Request | None = strategy.first_request(request)
        self._skip = 0
        # The page items are being served from, and how many of them went out.
        self._current: _Fetched[T] | None = None
        self._served = 0
        if cursor is not None:
            self._restore(cursor)

    # -- public surface -------------------------------------------------------------------------

    @property
    def total(self) -> int | None:
        """The total item count once a response told it; None until then."""
        return self._total

    @property
    def total_pages(self) -> int | None:
        """How many pages the listing has, when the server's totals make it certain."""
        return None if self._last_index is None else self._last_index + 1

    @property
    def cursor(self) -> dict[str, Any]:
        """A JSON-able resume point just after the last item (or page) handed out."""
        head: dict[str, Any] = {"v": CURSOR_VERSION, "strategy": self._strategy.name}
        if self._replay is not None:
            # first_page() fetched it, but none of its items went out yet.
            position = self._strategy.cursor_for(self._replay.request)
            return {**head, "index": self._replay.page.index, "skip": self._skip, "at": position}
        current = self._current
        if current is not None and self._served < len(current.page.items):
            position = self._strategy.cursor_for(current.request)
            return {**head, "index": current.page.index, "skip": self._served, "at": position}
        if self._exhausted or self._next_request is None:
            return {**head, "done": True}
        position = self._strategy.cursor_for(self._next_request)
        return {**head, "index": self._next_index, "skip": self._skip, "at": position}

    def resume(self, cursor: Mapping[str, Any]) -> Paginator[T]:
        """A fresh paginator over the same listing, starting at a saved `.cursor`."""
        return Paginator(
            self._fetch,
            self._base,
            self._strategy,
            self._decode,
            fetch_ahead=self._fetch_ahead,
            cursor=cursor,
        )

    def __aiter__(self) -> _ItemIterator[T]:
        return _ItemIterator(self)

    def pages(self) -> _PageIterator[T]:
        """Iterate whole pages in order (the cursor then advances a page at a time)."""
        return _PageIterator(self)

    async def first_page(self) -> Page[T]:
        """The first page of this listing (fetched once; iteration then starts with it)."""
        if self._first is not None:
            return self._first
        fetched = await self._pull()
        if fetched is None:
            raise LookupError("the listing is already exhausted (resumed from a finished cursor)")
        self._replay = fetched
        return fetched.page

    async def aclose(self) -> None:
        """Stop: drop buffered pages and cancel background fetches (they end with the block)."""
        self._closed = True
        self._buffer.clear()
        self._drop_slots()
        self._replay = None

    async def __aenter__(self) -> Paginator[T]:
        """Stream pages in the background for the duration of the block."""
        if self._group is not None:
            raise RuntimeError("this paginator is already streaming")
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        group, self._group = self._group, None
        assert group is not None
        # Cancel only the fetches' own scopes: cancelling the group's scope could swallow a
        # cancellation meant for the consumer's enclosing scope.
        self._drop_slots()
        try:
            return await group.__aexit__(*exc_info)
        except BaseExceptionGroup as group_error:
            # Fetches never raise, so a group holding just the consumer's own error is noise:
            # let that error through unwrapped, as if no task group were involved.
            if len(group_error.exceptions) == 1 and group_error.exceptions[0] is exc_info[1]:
                return False
            raise

    # -- the in-order page source ---------------------------------------------------------------

    def _restore(self, cursor: Mapping[str, Any]) -> None:
        if cursor.get("v") != CURSOR_VERSION:
            raise ValueError(f"unsupported cursor version {cursor.get('v')!r}")
        if cursor.get("strategy") != self._strategy.name:
            raise ValueError(
                f"cursor is for {cursor.get('strategy')!r} paging, not {self._strategy.name!r}"
            )
        if cursor.get("done"):
            self._exhausted = True
            self._next_request = None
            return
        index, skip, position = cursor.get("index"), cursor.get("skip"), cursor.get("at")
        if not (isinstance(index, int) and isinstance(skip, int) and index >= 0 and skip >= 0):
            raise ValueError("cursor needs non-negative integers 'index' and 'skip'")
        if not isinstance(position, Mapping):
            raise ValueError("cursor needs a position 'at'")
        self._next_index = index
        self._skip = skip
        self._next_request = self._strategy.request_from_cursor(self._base, position)

    async def _next_page(self) -> _Fetched[T] | None:
        """The next page in order, or None at the end; a fetch error is raised here, in order."""
        if self._replay is not None:
            fetched, self._replay = self._replay, None
            return fetched
        return await self._pull()

    async def _pull(self) -> _Fetched[T] | None:
        if self._closed or self._exhausted or self._failed or self._next_request is None:
            return None
        index, request = self._next_index, self._next_request
        entry: _Fetched[T] | Exception | None = None
        buffered = self._buffer.pop(index, None)
        if buffered is not None:
            if self._same_position(buffered[0], request):
                entry = buffered[1]
            else:
                # An earlier short page moved the offsets: the window guessed wrong; refetch.
                self._buffer.clear()
        if entry is None:
            if self._group is not None:
                entry = await self._stream(index, request)
            else:
                entry = await self._fetch_window(index, request)
        if isinstance(entry, Exception):
            self._failed = True
            self._buffer.clear()
            self._drop_slots()
            raise entry
        self._accept(entry)
        return entry

    def _same_position(self, a: Request, b: Request) -> bool:
        return self._strategy.cursor_for(a) == self._strategy.cursor_for(b)

    def _accept(self, fetched: _Fetched[T]) -> None:
        info, index = fetched.info, fetched.page.index
        if self._first is None:
            self._first = fetched.page
        if info.total_items is not None:
            self._total = info.total_items
        self._last_index = None if info.remaining_pages is None else index + info.remaining_pages
        self._next_index = index + 1
        if not fetched.page.items or info.next_request is None:
            self._next_request = None
            self._exhausted = True
            self._buffer.clear()
            self._drop_slots()
        else:
            self._next_request = info.next_request

    async def _load(self, index: int, request: Request) -> _Fetched[T]:
        response = await self._fetch(request)
        items = self._decode(response)
        # A decode step that isolates bad items (asyncdam.decoding.DecodedItems) reports them with
        # the page index here, and tells how many the server sent: a page with skipped items must
        # not look like a short last page.
        finish = getattr(items, "finish_page", None)
        if finish is not None:
            await finish(index)
        sent = getattr(items, "source_count", len(items))
        info = self._strategy.inspect(request, response, sent)
        return _Fetched(Page(items, index, response), request, info)

    async def _fetch_window(self, index: int, request: Request) -> _Fetched[T] | Exception:
        """Fetch page `index` and, when the page count allows, the next few with it."""
        requests = {index: request}
        if self._fetch_ahead > 1 and self._last_index is not None:
            for step in range(1, min(self._fetch_ahead, self._last_index - index + 1)):
                ahead = self._strategy.skip_ahead(request, step)
                if ahead is None:
                    break
                requests[index + step] = ahead
        if len(requests) == 1:
            try:
                return await self._load(index, request)
            except Exception as exc:
                return exc
        results: dict[int, _Fetched[T] | Exception] = {}
        scopes = {i: anyio.CancelScope() for i in requests}

        async def run(i: int, req: Request) -> None:
            with scopes[i]:
                try:
                    results[i] = await self._load(i, req)
                except Exception as exc:
                    results[i] = exc
                    # Pages after a failure will never be delivered: stop fetching them.
                    for later, scope in scopes.items():
                        if later > i:
                            scope.cancel()

        async with anyio.create_task_group() as group:
            for i, req in requests.items():
                group.start_soon(run, i, req)
        head = results.pop(index)
        for i in sorted(results):
            self._buffer[i] = (requests[i], results[i])
            if isinstance(results[i], Exception):
                break
        return head

    # -- streaming mode (inside `async with`) ---------------------------------------------------

    async def _stream(self, index: int, request: Request) -> _Fetched[T] | Exception:
        slot = self._slots.get(index)
        if slot is not None and not self._same_position(slot.request, request):
            self._drop_slots()
            slot = None
        if slot is None:
            slot = self._launch(index, request)
        self._top_up(index, request)
        await slot.done.wait()
        del self._slots[index]
        if slot.result is None:  # cancelled by an earlier page's failure: cannot be reached
            return await self._load(index, request)
        return slot.result

    def _launch(self, index: int, request: Request) -> _Slot[T]:
        assert self._group is not None
        slot: _Slot[T] = _Slot(request)
        self._slots[index] = slot
        self._group.start_soon(self._background, index, slot)
        return slot

    def _top_up(self, index: int, request: Request) -> None:
        """Keep up to `fetch_ahead` pages from `index` on in flight or waiting."""
        if self._fetch_ahead <= 1 or self._last_index is None:
            return
        for step in range(1, self._fetch_ahead):
            ahead_index = index + step
            if ahead_index > self._last_index:
                return
            if ahead_index in self._slots:
                continue
            ahead = self._strategy.skip_ahead(request, step)
            if ahead is None:
                return
            self._launch(ahead_index, ahead)

    async def _background(self, index: int, slot: _Slot[T]) -> None:
        try:
            with slot.scope:
                try:
                    slot.result = await self._load(index, slot.request)
                except Exception as exc:
                    slot.result = exc
                    for later, other in self._slots.items():
                        if later > index:
                            other.scope.cancel()
        finally:
            slot.done.set()

    def _drop_slots(self) -> None:
        for slot in self._slots.values():
            slot.scope.cancel()
        self._slots.clear()


class _ItemIterator(Generic[T]):
    """Items of a paginator, one at a time; a plain object, so dropping it mid-way is harmless."""

    def __init__(self, paginator: Paginator[T]) -> None:
        self._p = paginator

    def __aiter__(self) -> _ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        p = self._p
        if p._closed:
            raise StopAsyncIteration
        while True:
            current = p._current
            if current is not None and p._served < len(current.page.items):
                item = current.page.items[p._served]
                p._served += 1
                return item
            fetched = await p._next_page()
            if fetched is None:
                raise StopAsyncIteration
            p._current, p._served = fetched, min(p._skip, len(fetched.page.items))
            p._skip = 0

    async def aclose(self) -> None:
        """Stop iterating (for `contextlib.aclosing`)."""
        await self._p.aclose()


class _PageIterator(Generic[T]):
    """Pages of a paginator in order; a resumed cursor's already-served items are left out."""

    def __init__(self, paginator: Paginator[T]) -> None:
        self._p = paginator

    def __aiter__(self) -> _PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        p = self._p
        if p._closed:
            raise StopAsyncIteration
        current = p._current
        if current is not None and p._served < len(current.page.items):
            # Switching from items to pages mid-page: hand out the rest of that page first.
            rest = current.page.items[p._served :]
            p._served = len(current.page.items)
            return attrs.evolve(current.page, items=rest)
        fetched = await p._next_page()
        if fetched is None:
            raise StopAsyncIteration
        skip = min(p._skip, len(fetched.page.items))
        p._current, p._served, p._skip = fetched, len(fetched.page.items), 0
        if skip:
            return attrs.evolve(fetched.page, items=fetched.page.items[skip:])
        return fetched.page

    async def aclose(self) -> None:
        """Stop iterating (for `contextlib.aclosing`)."""
        await self._p.aclose()
