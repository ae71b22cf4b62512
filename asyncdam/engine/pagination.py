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

from asyncdam.engine.consistency import InvalidCursorError, PassMode
from asyncdam.engine.errors import ConfigurationError
from asyncdam.engine.guard_reads import (
    AnchorRead,
    anchor_beside_window,
    launch_anchor,
    reread_first,
)
from asyncdam.engine.listing_guard import ListingGuard, ListingMonitor
from asyncdam.engine.page_cursor import plain_cursor, restore_cursor
from asyncdam.engine.page_iterators import Page, _ItemIterator, _PageIterator
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
    "ListingMonitor",
    "OffsetLimitStrategy",
    "Page",
    "PageInfo",
    "PageNumberStrategy",
    "PageStrategy",
    "Paginator",
]

T = TypeVar("T")


@attrs.frozen
class _Fetched(Generic[T]):
    page: Page[T]
    request: Request
    info: PageInfo
    skips: frozenset[int] = frozenset()  # positions a guarded listing handed out before


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

    With `identify` (item -> id) the listing is guarded (`consistency="repair"`, the default):
    every item that exists for the whole listing is handed out exactly once, even while the
    collection changes; items created or deleted meanwhile may or may not appear. Drift is
    reported in `engine.stats.listing_drift` and the `drift` hook; after a pass that drifted
    (or after every first pass with `reconcile="always"`) the listing is read again and only
    ids not handed out yet are yielded, for at most `reconcile_passes` passes, then
    `ListingChanged` is raised. `consistency="raise"` raises `ListingChanged` at the first drift
    that could have cost an item instead; `"off"` turns all of it off (no dedupe, no extra
    reads). `stable_order=True` tells a page-number listing that new items sort last (creation
    or id ascending), so a changed total alone needs no repair once the closing reads agree;
    `created` (item -> its creation time, when that is the order) lets the anchor read go
    beside the first fetch-ahead window instead of before it (see `consistency`).
    Dedupe memory: 11 to 23 bytes per id. See `asyncdam.engine.consistency` for the checks.
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
        identify: Callable[[T], object] | None = None,
        consistency: str = "repair",
        reconcile: str = "on_drift",
        reconcile_passes: int = 3,
        monitor: ListingMonitor | None = None,
        stable_order: bool = False,
        created: Callable[[T], object] | None = None,
    ) -> None:
        if fetch_ahead < 0:
            raise ValueError("fetch_ahead must be >= 0")
        self._options: dict[str, Any] = {
            "identify": identify,
            "consistency": consistency,
            "reconcile": reconcile,
            "reconcile_passes": reconcile_passes,
            "monitor": monitor,
            "stable_order": stable_order,
            "created": created,
        }
        self._guard: ListingGuard | None = None
        self._given_strategy = strategy
        if identify is not None and consistency != "off":
            mode: PassMode = "plain"
            if getattr(strategy, "overlap", None) == 0:
                strategy = attrs.evolve(strategy, overlap=1)  # type: ignore[misc]
                mode = "overlap"
            elif isinstance(strategy, PageNumberStrategy):
                mode = "anchor"
            self._guard = ListingGuard(
                identify=identify,
                mode=mode,
                consistency=consistency,
                reconcile=reconcile,
                reconcile_passes=reconcile_passes,
                monitor=monitor,
                stable_order=stable_order,
                created=created,
            )
        self._finished = False
        self._fetch = fetch
        self._strategy = strategy
        self._decode = decode
        self._fetch_ahead = fetch_ahead
        self._base = request
        # Pages a window fetched ahead, with the request each was fetched with.
        self._buffer: dict[int, tuple[Request, _Fetched[T] | Exception]] = {}
        self._group: anyio.abc.TaskGroup | None = None
        self._slots: dict[int, _Slot[T]] = {}
        self._anchor_read: AnchorRead | None = None
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
            restore_cursor(self, cursor)

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
        """A JSON-able resume point just after the last item (or page) handed out.

        A guarded listing's cursor also holds the ids handed out so far (8 bytes each, as
        keyed hashes), so a resumed run repeats none; `checkpoint(include_seen=False)` leaves
        them out when the caller can give them back with `mark_seen()` (e.g. from its output).
        """
        return self.checkpoint()

    def checkpoint(self, *, include_seen: bool = True) -> dict[str, Any]:
        """`.cursor`, optionally without the handed-out ids (see `mark_seen`)."""
        plain = plain_cursor(self)
        guard = self._guard
        if guard is None or plain.get("done"):
            return plain
        index, skip = plain["index"], plain["skip"]
        current = self._current
        if skip == 0 and current is not None and self._served >= len(current.page.items) > 0:
            # Point at the end of the page just served, not the start of the next one: a
            # resumed run then reads that page again and checks its last item is still the
            # one handed out last (nothing before the cursor was deleted meanwhile).
            index, skip = current.page.index, self._served
            plain["at"] = self._strategy.cursor_for(current.request)
            plain["index"], plain["skip"] = index, skip
        plain["guard"] = guard.export(
            include_seen=include_seen,
            index=index,
            skip=skip,
            at=plain["at"],
            served=self._served_of(guard),
        )
        return plain

    def _served_of(self, guard: ListingGuard) -> int | None:
        """How many items of the page the guard recorded last went out (None: not served)."""
        items = guard.page_items
        if self._replay is not None and self._replay.page.items is items:
            return self._skip
        current = self._current
        if current is not None and current.page.items is items:
            return self._served
        return None

    def mark_seen(self, ids: Any) -> int:
        """Before iterating a listing resumed from `checkpoint(include_seen=False)`: the ids the
        earlier run handed out (their count must match the cursor's); returns how many."""
        if self._guard is None:
            raise InvalidCursorError("mark_seen() needs a guarded listing (identify=...)")
        return self._guard.mark_seen(ids)

    def resume(self, cursor: Mapping[str, Any]) -> Paginator[T]:
        """A fresh paginator over the same listing, starting at a saved `.cursor`."""
        return self.reconfigured(cursor=cursor)

    def reconfigured(
        self, *, cursor: Mapping[str, Any] | None = None, **options: Any
    ) -> Paginator[T]:
        """A fresh paginator over the same listing with other options (`fetch_ahead`,
        `consistency`, `reconcile`, `reconcile_passes`), from the start or from `cursor`."""
        unknown = set(options) - {"fetch_ahead", "consistency", "reconcile", "reconcile_passes"}
        if unknown:
            raise ConfigurationError(f"reconfigured() got unknown option(s) {sorted(unknown)}")
        ahead = options.pop("fetch_ahead", self._fetch_ahead)
        return Paginator(
            self._fetch,
            self._base,
            self._given_strategy,
            self._decode,
            fetch_ahead=ahead,
            cursor=cursor,
            **{**self._options, **options},
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

    async def _next_page(self) -> _Fetched[T] | None:
        """The next page in order, or None at the end; a fetch error is raised here, in order."""
        if self._replay is not None:
            replay, self._replay = self._replay, None
            return replay
        while True:
            fetched = await self._pull()
            if fetched is not None or self._guard is None or self._closed or self._finished:
                return fetched
            if self._failed or not await self._close_pass():
                self._finished = True
                return None

    async def _close_pass(self) -> bool:
        """End-of-pass checks of a guarded listing; True when it rewound for another pass."""
        guard = self._guard
        assert guard is not None
        first = self._strategy.first_request(self._base)
        anchor_index = guard.watch.anchor_index
        anchor = None if anchor_index is None else self._strategy.skip_ahead(first, anchor_index)
        if not await guard.finish_pass(self._fetch, self._decode, first, anchor):
            return False
        self._buffer.clear()
        self._drop_slots()
        self._next_index, self._next_request = 0, first
        self._exhausted, self._last_index, self._skip = False, None, 0
        self._current, self._served = None, 0
        return True

    async def _pull(self) -> _Fetched[T] | None:
        if self._closed or self._exhausted or self._failed or self._next_request is None:
            return None
        index, request = self._next_index, self._next_request
        guard = self._guard
        if guard is not None and index == 1 and guard.watch.needs_anchor:
            await anchor_beside_window(self, guard, request)
        closing = (
            guard is not None
            and guard.closes_at(index)
            and index not in self._buffer
            and index not in self._slots
        )
        proven = closing and guard is not None and guard.watch.early
        first: list[Sequence[T] | Exception] = []
        if closing and not proven:
            # The anchor page, fetched only now that every page before it has arrived, is the
            # pass's closing read; the first page is revalidated beside it (one round trip).
            async with anyio.create_task_group() as group:
                group.start_soon(reread_first, self, first)
                entry = await self._entry(index, request)
        else:
            entry = await self._entry(index, request)
        if first and isinstance(first[0], Exception) and not isinstance(entry, Exception):
            entry = first[0]
        if isinstance(entry, Exception):
            self._failed = True
            self._buffer.clear()
            self._drop_slots()
            raise entry
        self._accept(entry)
        if guard is not None:
            info = entry.info
            more = info.remaining_pages is not None and info.remaining_pages > 0
            skips = await guard.on_page(
                index,
                entry.page.items,
                total=info.total_items,
                more_expected=more or (info.next_request is not None and bool(entry.page.items)),
                request=request,
                size=self._fixed_size(request),
                short_pages_normal=bool(getattr(self._strategy, "drops_hits", False)),
            )
            if first and not isinstance(first[0], Exception):
                await guard.close_in_pass(first[0], entry.page.items, index, request)
            elif proven:
                await guard.close_in_pass((), entry.page.items, index, request)
            if index == 0 and self._group is not None and guard.watch.needs_anchor:
                launch_anchor(self)
                if guard.early_anchor(entry.page.response) is not None:
                    self._top_up(0, request)  # the first window streams beside the anchor
            if skips:
                entry = attrs.evolve(entry, skips=skips)
        return entry

    async def _entry(self, index: int, request: Request) -> _Fetched[T] | Exception:
        """Page `index`: from the buffer when a window fetched it ahead, else fetched now."""
        buffered = self._buffer.pop(index, None)
        if buffered is not None:
            if self._same_position(buffered[0], request):
                return buffered[1]
            # An earlier short page moved the offsets: the window guessed wrong; refetch.
            self._buffer.clear()
        if self._group is not None:
            return await self._stream(index, request)
        return await self._fetch_window(index, request)

    def _ahead_limit(self, index: int) -> int | None:
        """The last page index a window from `index` may reach (None: unknown)."""
        last = self._last_index
        if last is None or self._guard is None:
            return last
        if self._guard.watch.needs_anchor:
            return last - 1  # the last page is the anchor, being read beside this window
        held = self._guard.fetch_limit(index)
        return last if held is None else min(last, held)

    def _fixed_size(self, request: Request) -> int | None:
        """The page size asked for, for strategies whose server never clamps it."""
        size_of = getattr(self._strategy, "fixed_page_size", None)
        return size_of(request) if callable(size_of) else None

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

    async def _fetch_window(
        self, index: int, request: Request, width: int | None = None
    ) -> _Fetched[T] | Exception:
        """Fetch page `index` and, when the page count allows, the next few with it (at most
        `width` pages in all, `fetch_ahead` by default)."""
        requests = {index: request}
        limit = self._ahead_limit(index)
        width = self._fetch_ahead if width is None else width
        if width > 1 and limit is not None:
            for step in range(1, min(width, limit - index + 1)):
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
                if i != index:
                    group.start_soon(run, i, req)
            # The head page in this task: one task fewer per window (the caller waits for it
            # anyway), and its request is the first to queue for a permit.
            await run(index, request)
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
        limit = self._ahead_limit(index)
        if self._fetch_ahead <= 1 or limit is None:
            return
        for step in range(1, self._fetch_ahead):
            ahead_index = index + step
            if ahead_index > limit:
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
        read, self._anchor_read = self._anchor_read, None
        if read is not None:
            read.scope.cancel()
