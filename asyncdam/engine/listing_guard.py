"""The I/O side of complete listings: dedupe, drift events, anchor reads, reconciliation passes.

A `ListingGuard` rides along a `Paginator` (see `asyncdam.engine.consistency` for the argument
behind each check). The paginator calls it before fetching a page (the anchor read; how far
fetch-ahead may go), after accepting a page (drift signals, and dedupe: the page's ids are
hashed once and recorded together, and the positions handed out before come back for the
iterators to leave out), on the anchor page's own read (the closing check), at the end of a
pass (another pass or the end), and when writing or reading a cursor (the part of the current
page not served yet is left out of the seen ids then).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import anyio
import attrs

from asyncdam.engine.consistency import (
    GUARD_VERSION,
    GUARD_VERSIONS,
    SIGNALS,
    FirstAnswer,
    InvalidCursorError,
    ListingChanged,
    PassMode,
    PassWatch,
    SeenIds,
    check_policy,
    ids_of,
)
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.request import Request, Response
from asyncdam.engine.seen_ids import Key

__all__ = ["ListingGuard", "ListingMonitor"]


@attrs.define
class ListingMonitor:
    """Where a guarded listing reports: the engine's counters and hooks, and what to call it."""

    stats: EngineStats
    hooks: Hooks
    method: str = "GET"
    url: str = ""


class ListingGuard:
    """Per-listing state of the consistency guarantee (one per paginator)."""

    def __init__(
        self,
        *,
        identify: Callable[[Any], object],
        mode: PassMode,
        consistency: str = "repair",
        reconcile: str = "on_drift",
        reconcile_passes: int = 3,
        monitor: ListingMonitor | None = None,
        stable_order: bool = False,
        created: Callable[[Any], object] | None = None,
    ) -> None:
        check_policy(consistency, reconcile, reconcile_passes)
        # An item's creation time, for an order in which new items sort last by it: lets the
        # anchor be read beside the first window (`early_anchor`).
        self.created = created if mode == "anchor" and stable_order else None
        # Signals a pass's own proof makes harmless: with overlapping pages, the boundaries;
        # with the anchor over an order in which new items sort last, the closing reads.
        self.benign: frozenset[str] = frozenset()
        if mode == "overlap":
            self.benign = frozenset({"total_changed", "repeated_id", "short_page"})
        elif mode == "anchor" and stable_order:
            self.benign = frozenset({"total_changed", "short_page", "empty_page"})
        self.identify = identify
        self.mode: PassMode = mode
        self.consistency = consistency
        self.reconcile = reconcile
        self.reconcile_passes = reconcile_passes
        self.monitor = monitor
        self.seen = SeenIds()
        self.watch = PassWatch(mode=mode)
        self.drift_reported = False
        self.last_handed: str | None = None
        # (page index, items skipped, id handed out just before) of a resumed cursor.
        self.resume_point: tuple[int, int, str | None] | None = None
        self.seen_expected: int | None = None  # ids a cursor without 'seen' said were handed out
        self._page: _PageState | None = None  # the page recorded last

    # -- handing out ----------------------------------------------------------------------------

    def mark_seen(self, ids: Any) -> int:
        """Record ids handed out by an earlier run (e.g. read back from its output)."""
        seen = self.seen
        seen.insert(seen.keys_page([value for value in ids if value is not None]))
        expected, self.seen_expected = self.seen_expected, None
        if expected is not None and len(seen) != expected:
            got = len(seen)
            self.seen_expected = expected
            raise InvalidCursorError(
                f"the cursor recorded {expected} handed-out ids, mark_seen() gave {got}"
            )
        return len(seen)

    def _unserved(self, served: int | None) -> tuple[list[Key], str | None]:
        """Hashes of the current page recorded but not handed out yet (positions >= `served`;
        None: none of it went out), and the id handed out last."""
        page = self._page
        if page is None:
            return [], self.last_handed
        cut = 0 if served is None else min(served, len(page.hashes))
        present = page.present
        pending = [h for p, h in enumerate(page.hashes[cut:], cut) if h and p not in present]
        last = page.before
        for p in range(cut - 1, -1, -1):
            if page.hashes[p] and p not in present:
                last = str(page.ids[p])
                break
        return pending, last

    @property
    def page_items(self) -> object:
        """The items list of the page the guard recorded last (to match it with the one served)."""
        return None if self._page is None else self._page.items

    # -- pages ----------------------------------------------------------------------------------

    async def on_page(
        self,
        index: int,
        items: Sequence[Any],
        *,
        total: int | None,
        more_expected: bool,
        request: Request,
        size: int | None = None,
        short_pages_normal: bool = False,
    ) -> frozenset[int]:
        """Check a page accepted in order, report (or raise on) drift, and record its ids as
        handed out; returns the positions to leave out (ids handed out before)."""
        if self.seen_expected is not None:
            raise InvalidCursorError(
                f"this cursor was saved without its seen ids: call mark_seen() with the "
                f"{self.seen_expected} ids handed out before iterating"
            )
        # Hash each id once, a page at a time; the whole page counts as handed out from here
        # on, and `export` leaves out whatever of it was not served yet.
        ids = list(map(self.identify, items))
        hashes = self.seen.keys_page(ids)
        if total is not None and self.watch.last_index is None:
            self.seen.reserve(total)  # one table for the whole listing, not a doubling series
        point = self.resume_point if self.resume_point and self.resume_point[0] == index else None
        resumed = point is not None
        if point is not None and point[1]:
            # A resumed page is served from the cursor's skip on: what lies before it was
            # handed out by the earlier run, or (moved there meanwhile) is left to a later pass.
            hashes[: point[1]] = [0] * min(point[1], len(hashes))
        if self._page is not None:
            self.last_handed = self._unserved(len(self._page.hashes))[1]
        present_list = self.seen.insert(hashes)
        present = frozenset(present_list)
        self._page = _PageState(items, ids, hashes, present, self.last_handed)
        signals: list[str] = []
        start = 1 if self.mode == "overlap" and index > 0 else 0
        if point is not None:
            self.resume_point = None
            _, skip, last_id = point
            start = max(start, skip)
            strs = [_as_str(i) for i in ids]
            if not self.watch.check_resume(strs, skip, last_id) and self.watch.flag(
                "resume_mismatch"
            ):
                signals.append("resume_mismatch")
        if self.watch.number > 1:
            fresh = sum(1 for h in hashes if h) - len(present)
            self.watch.added += fresh
            if self.monitor is not None:
                self.monitor.stats.reconciled_items += fresh
        repeated = self.watch.number == 1 and bool(present_list) and present_list[-1] >= start
        edges = [_as_str(ids[0]), _as_str(ids[-1])] if ids else []
        sent = getattr(items, "source_count", None)  # items decoding set aside still count
        signals += self.watch.observe(
            index,
            edges,
            total=total,
            more_expected=more_expected,
            repeated=repeated,
            resumed=resumed,
            size=size,
            short_pages_normal=short_pages_normal,
            sent=len(ids) if sent is None else sent,
            set_aside_edges=getattr(items, "set_aside_edges", (False, False)),
        )
        await self._report(signals, index, request)
        return present

    def fetch_limit(self, index: int) -> int | None:
        """The last page that may be fetched ahead from `index`: in anchor mode, the anchor
        page waits until every page before it has arrived (its read closes the pass)."""
        watch = self.watch
        if self.mode == "anchor" and not watch.closed and watch.anchor_index is not None:
            if index < watch.anchor_index:
                return watch.anchor_index - 1
        return None

    def closes_at(self, index: int) -> bool:
        """Whether page `index` is the anchor page, whose own read can close the pass."""
        watch = self.watch
        return (
            self.mode == "anchor"
            and not watch.closed
            and index > 0
            and watch.anchor_index == index
            and watch.anchor_id is not None
        )

    async def close_in_pass(
        self, first: Sequence[Any], anchor: Sequence[Any], index: int, request: Request
    ) -> None:
        """The closing check made from the anchor page's own read and a revalidation of the
        first page sent beside it (none after an early anchor's proof: `first` is then empty;
        see `asyncdam.engine.consistency`)."""
        signals = self.watch.check_end(ids_of(first, self.identify), ids_of(anchor, self.identify))
        self.watch.closed = True
        await self._report(signals, index, request)

    def early_anchor(self, first: Response | None) -> FirstAnswer | None:
        """When the anchor may be read beside the first window: what its proof needs from the
        first page's answer (None: read it before any later page, as usual)."""
        if self.created is None or first is None or not self.watch.needs_anchor:
            return None
        return FirstAnswer.of(first.headers, first.elapsed)

    async def record_anchor(
        self,
        index: int,
        items: Sequence[Any],
        total: int | None,
        request: Request,
        first: FirstAnswer | None = None,
    ) -> bool:
        """Remember the last item of the anchor page; with `first` (it was read beside the first
        window), return whether it proves the pages read beside it."""
        ids = ids_of(items, self.identify)
        await self._report(self.watch.set_anchor(index, ids, total), index, request)
        if first is None or self.created is None or not items:
            return False
        count = getattr(items, "source_count", len(items))
        stamp = self.created(items[-1])
        return self.watch.prove_early(
            total, count, stamp if isinstance(stamp, datetime) else None, first
        )

    async def finish_pass(
        self,
        fetch: Callable[[Request], Awaitable[Response]],
        decode: Callable[[Response], Sequence[Any]],
        first: Request,
        anchor: Request | None,
    ) -> bool:
        """Close a pass; True when another (reconciliation) pass must run."""
        watch = self.watch
        needs_reads = not watch.closed and anchor is not None
        if self.mode == "anchor" and watch.anchor_index is not None and needs_reads:
            assert anchor is not None
            pages: dict[str, list[str | None]] = {}

            async def read(name: str, request: Request) -> None:
                pages[name] = ids_of(decode(await fetch(request)), self.identify)

            async with anyio.create_task_group() as group:
                group.start_soon(read, "first", first)
                group.start_soon(read, "anchor", anchor)
            signals = watch.check_end(pages["first"], pages["anchor"])
            await self._report(signals, watch.anchor_index, anchor)
        again = self._needs_repair() or (self.reconcile == "always" and watch.number == 1)
        if not again:
            return False
        if watch.number > self.reconcile_passes:
            raise ListingChanged(
                f"the collection kept changing: {', '.join(watch.signals) or 'drift'} in the "
                f"last of {watch.number} passes (reconcile_passes={self.reconcile_passes})",
                signal=watch.signals[0] if watch.signals else "drift",
                passes=watch.number,
            )
        self.watch = PassWatch(mode=self.mode, number=watch.number + 1)
        if self._page is not None:
            self.last_handed = self._unserved(len(self._page.hashes))[1]
            self._page = None
        if self.monitor is not None:
            self.monitor.stats.reconciliation_passes += 1
            await self.monitor.hooks.emit(
                Event(
                    kind="reconcile",
                    method=self.monitor.method,
                    url=self.monitor.url,
                    reason=", ".join(watch.signals) or "always",
                    detail={
                        "pass": self.watch.number,
                        "signals": list(watch.signals),
                        "previous_added": watch.added,
                    },
                )
            )
        return True

    def _proven(self) -> bool:
        """Whether this pass has (or will have) its own proof, making benign signals harmless."""
        watch = self.watch
        if self.mode == "overlap":
            return True
        # Anchor mode: proven when the anchor was read, or the listing was one page.
        return self.mode == "anchor" and (watch.anchor_index is not None or watch.last_index == 0)

    def _needs_repair(self) -> bool:
        signals = self.watch.signals
        if self._proven():
            return any(s not in self.benign for s in signals)
        return bool(signals)

    async def _report(self, signals: list[str], index: int, request: Request) -> None:
        if not signals:
            return
        monitor = self.monitor
        if monitor is not None:
            if not self.drift_reported:
                monitor.stats.listing_drift += 1
            for signal in signals:
                await monitor.hooks.emit(
                    Event(
                        kind="drift",
                        method=monitor.method,
                        url=monitor.url,
                        reason=SIGNALS[signal],
                        detail={
                            "signal": signal,
                            "pass": self.watch.number,
                            "page": index,
                            "harmless": signal in self.benign,
                        },
                    )
                )
        self.drift_reported = True
        harmful = [s for s in signals if s not in self.benign]
        if self.consistency == "raise" and harmful:
            raise ListingChanged(
                f"the collection changed during the listing: {SIGNALS[harmful[0]]} "
                f"(page {index}, pass {self.watch.number})",
                signal=harmful[0],
                passes=self.watch.number,
            )

    # -- cursors --------------------------------------------------------------------------------

    def export(
        self,
        *,
        include_seen: bool,
        index: int,
        skip: int,
        at: Mapping[str, Any],
        served: int | None = None,
    ) -> dict[str, Any]:
        """The guard's part of a cursor, with an integrity check over it. `served`: how many
        items of the page recorded last went out (None: it is not being served)."""
        pending, last_handed = self._unserved(served)
        watch = self.watch.export()
        if self.watch.number > 1:
            watch["added"] = max(0, watch["added"] - len(pending))
        body: dict[str, Any] = {
            "v": GUARD_VERSION,
            "mode": self.mode,
            "watch": watch,
            "handed": len(self.seen) - len(pending),
            "last_handed": last_handed,
            "drift_reported": self.drift_reported,
            "at": [index, skip, dict(at)],
            "seen": self.seen.export(exclude=pending) if include_seen else None,
        }
        body["check"] = _digest(body)
        return body

    def restore(self, data: object, *, index: int, skip: int, at: Mapping[str, Any]) -> None:
        """Load a cursor's guard part, refusing anything malformed, tampered or impossible."""
        if not isinstance(data, Mapping):
            raise InvalidCursorError(
                "cursor has no consistency state (saved with consistency='off'?)"
            )
        body = dict(data)
        check = body.pop("check", None)
        if check != _digest(body):
            raise InvalidCursorError("cursor consistency state fails its integrity check")
        if body.get("v") not in GUARD_VERSIONS:
            raise InvalidCursorError(f"unsupported cursor state version {body.get('v')!r}")
        if body.get("at") != [index, skip, dict(at)]:
            raise InvalidCursorError("cursor position and consistency state disagree")
        self.watch = PassWatch.restore(
            body.get("watch"), mode=self.mode, max_pass=self.reconcile_passes + 1
        )
        handed = body.get("handed")
        if not isinstance(handed, int) or isinstance(handed, bool) or handed < 0:
            raise InvalidCursorError("cursor field 'handed' must be a non-negative integer")
        last = body.get("last_handed")
        if last is not None and not isinstance(last, str):
            raise InvalidCursorError("cursor field 'last_handed' must be a string")
        if (last is None) != (handed == 0):
            raise InvalidCursorError("cursor 'last_handed' and 'handed' disagree")
        self.last_handed = last
        self._page = None
        self.drift_reported = bool(body.get("drift_reported"))
        seen = body.get("seen")
        if seen is None:
            self.seen_expected = handed if handed else None
        else:
            self.seen = SeenIds.restore(seen)
            if len(self.seen) != handed:
                raise InvalidCursorError("cursor 'seen' does not hold 'handed' ids")
        watch = self.watch
        if watch.total is not None and watch.size and index > watch.total // watch.size + 1:
            raise InvalidCursorError(
                f"cursor page {index} lies past the listing ({watch.total} items)"
            )
        if watch.last_index is not None and not 0 <= index - watch.last_index <= 1:
            raise InvalidCursorError("cursor position and the pages its state has seen disagree")
        if skip > 0 or index > 0:
            self.resume_point = (index, skip, last)


class _PageState(NamedTuple):
    """The page recorded last: its ids and keys, and which were handed out before it (a tuple:
    one is made per page, and nothing changes it)."""

    items: Sequence[Any]
    ids: list[object]
    hashes: list[Key]  # the ids' keys in the seen set (`SeenIds.keys_page`)
    present: frozenset[int]
    before: str | None  # the id handed out last before this page


def _as_str(value: object) -> str | None:
    return None if value is None else str(value)


def _digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:24]
