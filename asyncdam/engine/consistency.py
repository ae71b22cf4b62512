"""Complete listings over changing data: drift signals, a compact seen-id set, the cursor state.

The guarantee a guarded `Paginator` gives: every item that exists for the whole duration of a
listing is handed out exactly once; an item created or deleted meanwhile may or may not appear.
Everything here is pure (no I/O, no clock); `Paginator` drives it.

How a pass proves it missed nothing, given a stable order in which new items sort last
(creation time or id ascending; the adapters ask for one by default):

- offset paging (`overlap`): each page starts on the previous page's last item. When the two
  meet, no item can have slipped between them, whatever happened meanwhile.
- page-number paging (`anchor`): right after the first page (read at t1) the last page is
  read (the anchor, at ta: its last item Z at position P). With new items sorting last, a
  survivor X is missed only if a deletion before X, between the reads of two neighbouring
  pages, moved X back across their boundary; every survivor sorts before Z, so it takes a
  deletion before Z. The pass is closed by two reads: the anchor page read again after every
  other page of the pass has arrived (it is the pass's own read of that page: fetch-ahead
  holds it back until then, so it costs no extra request), and the first page revalidated
  beside it (an ETag 304, free of quota on Phrase when unchanged). If Z is still at P, nothing
  before Z was deleted in [ta, end]; if the first page still ends on the same item with the
  same length, nothing on it was deleted in [t1, end]. Deletions in (t1, ta) beyond the first
  page move no item across a boundary already read, because pages 2.. are requested only
  after the anchor has arrived. That ordering is why the anchor is not read inside the first
  fetch-ahead window: a page of that window read before the anchor leaves a deletion between
  its read and the anchor's unseen by both checks. (Pages after the anchor page, when the
  collection grew, hold only items created during the pass, which may or may not appear.)
  A pass that ends before the anchor page (the collection shrank) makes the two closing reads
  at its end instead.
- the early anchor (page-number paging over creation order, when the server dates its answers):
  the anchor is read beside the first fetch-ahead window instead of before it. Its answer proves
  the window safe when the total is still the first page's total N0 and Z, the last item, was
  created before the first page was read (its creation time plus `ANCHOR_AGE_MARGIN` and the
  first page's round trip lies before the first answer's `Date`). Then no item was created since
  the first read and still exists (it would sort after Z, and be the last item); with the total
  unchanged, no item that existed then was deleted either, so every page read between the first
  page and the anchor saw the collection as it was at both ends, and so did the first page: its
  revalidation at the close is not needed (Z's closing check covers the rest of the pass). When
  the proof fails, the window's pages (none handed out yet) are dropped and read again after the
  anchor, which is the order above. Only Z's creation time and the server's clock are trusted.

Any other outcome is drift (`SIGNALS`): the pass is repaired by listing again and handing out
only ids not handed out yet, until a pass ends without drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeGuard

import attrs

from asyncdam.engine.errors import AsyncDamError, ConfigurationError
from asyncdam.engine.seen_ids import InvalidCursorError, SeenIds

__all__ = [
    "ANCHOR_AGE_MARGIN",
    "CONSISTENCY_MODES",
    "RECONCILE_MODES",
    "SIGNALS",
    "FirstAnswer",
    "InvalidCursorError",
    "ListingChanged",
    "PassWatch",
    "SeenIds",
    "check_policy",
    "created_before",
]

CONSISTENCY_MODES: tuple[str, ...] = ("repair", "raise", "off")
RECONCILE_MODES: tuple[str, ...] = ("on_drift", "always")

# Drift signals: the value of `Event.detail["signal"]` on a `drift` hook.
SIGNALS: dict[str, str] = {
    "total_changed": "the total the server reported changed between pages",
    "boundary_mismatch": "a page did not start on the previous page's last item",
    "short_page": "a page came back shorter than asked before the known end",
    "empty_page": "a page came back empty before the known end",
    "repeated_id": "an item handed out earlier in the pass came back",
    "anchor_moved": "the first or last page no longer lines up with the pass's start",
    "resume_mismatch": "the item before a resumed cursor is not the one handed out last",
}

# 2: seen ids hashed per id kind (see `seen_ids`), the pass's closing read recorded; cursors
# of version 1 still restore (their seen ids keep the blake2b scheme they were written with).
GUARD_VERSION = 2
GUARD_VERSIONS = (1, 2)
MAX_PASSES_LIMIT = 10
# Seconds between the anchor item's creation time and the first answer's `Date` beyond the first
# page's round trip: one second for each of the two timestamps' whole-second resolution, one for
# clock skew between the service's machines.
ANCHOR_AGE_MARGIN = 3.0


class ListingChanged(AsyncDamError):
    """The collection changed during a listing and it could not (or was not to) be repaired.

    Raised with `consistency="raise"` at the first drift signal, and with `"repair"` when the
    last allowed reconciliation pass still saw the collection change. `.signal` names the
    signal (see `asyncdam.engine.consistency.SIGNALS`), `.passes` the passes run so far.
    """

    def __init__(self, message: str, *, signal: str, passes: int) -> None:
        self.signal = signal
        self.passes = passes
        super().__init__(message)


def check_policy(consistency: str, reconcile: str, reconcile_passes: int) -> None:
    """Refuse unknown policies and pass bounds with a typed error naming the bad value."""
    if consistency not in CONSISTENCY_MODES:
        raise ConfigurationError(
            f"consistency must be one of {', '.join(CONSISTENCY_MODES)}, got {consistency!r}"
        )
    if reconcile not in RECONCILE_MODES:
        raise ConfigurationError(
            f"reconcile must be one of {', '.join(RECONCILE_MODES)}, got {reconcile!r}"
        )
    if isinstance(reconcile_passes, bool) or not isinstance(reconcile_passes, int):
        raise ConfigurationError(f"reconcile_passes must be an integer, got {reconcile_passes!r}")
    if not 0 <= reconcile_passes <= MAX_PASSES_LIMIT:
        raise ConfigurationError(
            f"reconcile_passes must be 0..{MAX_PASSES_LIMIT}, got {reconcile_passes}"
        )


# -- one pass ----------------------------------------------------------------------------------


PassMode = Literal["overlap", "anchor", "plain"]


@attrs.define
class PassWatch:
    """What one pass has observed so far, and the drift signals it raised (pure bookkeeping).

    `observe` is fed each page in order; it returns the signals that page raised. The anchor
    fields are filled by the paginator's extra reads (`set_anchor`, `check_end`).
    """

    mode: PassMode
    number: int = 1
    total: int | None = None  # the first total the pass saw
    last_id: str | None = None  # last id of the previous page (for overlap)
    last_full: bool = False  # whether that page was full
    last_index: int | None = None
    size: int | None = None  # items per full page, learned from the first page
    first_last_id: str | None = None  # last id of the first page (anchor mode)
    first_size: int = 0
    anchor_index: int | None = None  # the page read as the anchor
    anchor_id: str | None = None  # the last item on it (Z)
    anchor_pos: int | None = None  # Z's index within that page
    signals: list[str] = attrs.field(factory=list)
    added: int = 0  # items this pass handed out that no earlier pass had
    closed: bool = False  # the closing reads were made during the pass (see the docstring)
    early: bool = False  # the anchor, read beside the first window, proved it (see the docstring)

    @property
    def drifted(self) -> bool:
        """Whether this pass saw any drift signal."""
        return bool(self.signals)

    def flag(self, signal: str) -> bool:
        """Record a signal; True the first time this pass raises that signal."""
        if signal in self.signals:
            return False
        self.signals.append(signal)
        return True

    def observe(
        self,
        index: int,
        ids: Sequence[str | None],
        *,
        total: int | None,
        more_expected: bool,
        repeated: bool = False,
        resumed: bool = False,
        size: int | None = None,
        short_pages_normal: bool = False,
        sent: int | None = None,
        set_aside_edges: tuple[bool, bool] = (False, False),
    ) -> list[str]:
        """Check one page (in order); return the new signals it raised.

        `more_expected`: the server's totals said pages follow this one. `repeated`: an id on
        it was handed out earlier in this pass (other than an overlap). `resumed`: the page a
        cursor resumed on (its boundary is checked against the cursor instead). `size`: the
        page size asked for, when the server never clamps it (else it is learned from the first
        page). `short_pages_normal`: the server may drop hits from a page (Phraseanet), so a
        short page is no signal; its boundary then cannot be checked. `sent`: how many items
        the server sent, when decoding set some aside (`on_invalid`): that is no short page.
        `set_aside_edges`: whether the page's first / last item was set aside; a boundary
        through an item without identity cannot be checked.
        """
        raised: list[str] = []

        def emit(signal: str) -> None:
            if self.flag(signal):
                raised.append(signal)

        if total is not None:
            if self.total is None:
                self.total = total
            elif total != self.total:
                emit("total_changed")
        count = len(ids) if sent is None else sent
        if size is not None:
            self.size = size
        elif self.size is None and more_expected and count:
            # The first page followed by more shows the size the server really serves.
            self.size = count
        if count == 0 and index > 0:
            emit("empty_page")
        elif more_expected and self.size is not None and count < self.size:
            if not short_pages_normal:
                emit("short_page")
        if repeated:
            emit("repeated_id")
        if self.mode == "overlap" and index > 0 and not resumed:
            contiguous = self.last_index == index - 1
            checkable = self.last_id is not None and not set_aside_edges[0]
            if contiguous and self.last_full and count and checkable and ids[0] != self.last_id:
                emit("boundary_mismatch")
        if index == 0 and self.mode == "anchor":
            self.first_last_id = ids[-1] if ids else None
            self.first_size = count
        self.last_index = index
        self.last_id = ids[-1] if ids and not set_aside_edges[1] else None
        self.last_full = self.size is not None and count >= self.size
        return raised

    def check_resume(self, ids: Sequence[str | None], skip: int, last_id: str | None) -> bool:
        """Whether a resumed page still has the last handed-out item just before `skip`."""
        if last_id is None or skip <= 0:
            return True
        return skip <= len(ids) and ids[skip - 1] == last_id

    def set_anchor(self, index: int, ids: Sequence[str | None], total: int | None) -> list[str]:
        """Record the anchor page read right after the first page; signals if it is odd."""
        raised: list[str] = []
        if total is not None and self.total is not None and total != self.total:
            if self.flag("total_changed"):
                raised.append("total_changed")
        if not ids or ids[-1] is None:
            if self.flag("anchor_moved"):
                raised.append("anchor_moved")
            return raised
        self.anchor_index, self.anchor_id, self.anchor_pos = index, ids[-1], len(ids) - 1
        return raised

    def check_end(
        self, first_ids: Sequence[str | None], anchor_ids: Sequence[str | None]
    ) -> list[str]:
        """Compare the first and anchor pages read again after the pass with what they were."""
        ok = True
        if self.first_last_id is not None and not self.early:
            ok = len(first_ids) == self.first_size and first_ids[-1] == self.first_last_id
        if ok and self.anchor_id is not None and self.anchor_pos is not None:
            pos = self.anchor_pos
            ok = pos < len(anchor_ids) and anchor_ids[pos] == self.anchor_id
        if not ok and self.flag("anchor_moved"):
            return ["anchor_moved"]
        return []

    def prove_early(
        self, total: int | None, count: int, created: datetime | None, first: FirstAnswer
    ) -> bool:
        """Whether the anchor just recorded (`count` items, reporting `total`, its last item
        created at `created`) proves the pages read beside it; sets `early` when it does."""
        size = self.size
        if self.anchor_index is None or self.total is None or total != self.total or not size:
            return False
        if count != self.total - self.anchor_index * size:
            return False
        self.early = created_before(created, first)
        return self.early

    @property
    def needs_anchor(self) -> bool:
        """Whether the anchor page is still to be read (anchor mode, first page seen)."""
        return self.mode == "anchor" and self.anchor_index is None and self.last_index == 0

    def export(self) -> dict[str, Any]:
        """JSON-able state for a cursor."""
        return {
            "pass": self.number,
            "mode": self.mode,
            "total": self.total,
            "last_id": self.last_id,
            "last_full": self.last_full,
            "last_index": self.last_index,
            "size": self.size,
            "first_last_id": self.first_last_id,
            "first_size": self.first_size,
            "anchor": None
            if self.anchor_index is None
            else [self.anchor_index, self.anchor_id, self.anchor_pos],
            "signals": list(self.signals),
            "added": self.added,
            "closed": self.closed,
            "early": self.early,
        }

    @classmethod
    def restore(cls, data: object, *, mode: PassMode, max_pass: int) -> PassWatch:
        """The inverse of `export`, validated: anything impossible raises `InvalidCursorError`."""
        if not isinstance(data, Mapping):
            raise InvalidCursorError("cursor 'pass' state must be an object")
        if data.get("mode") != mode:
            raise InvalidCursorError(
                f"cursor was saved for {data.get('mode')!r} checking, this listing uses {mode!r}"
            )
        number = _int_field(data, "pass", low=1, high=max_pass)
        watch = cls(mode=mode, number=number)
        watch.total = _opt_int_field(data, "total")
        watch.last_id = _opt_str_field(data, "last_id")
        watch.last_full = _bool_field(data, "last_full")
        watch.last_index = _opt_int_field(data, "last_index")
        watch.size = _opt_int_field(data, "size")
        if watch.size == 0:
            raise InvalidCursorError("cursor field 'size' must be positive")
        watch.first_last_id = _opt_str_field(data, "first_last_id")
        watch.first_size = _int_field(data, "first_size", low=0, high=10**6)
        watch.added = _int_field(data, "added", low=0, high=10**12)
        anchor = data.get("anchor")
        if anchor is not None:
            if not (isinstance(anchor, list) and len(anchor) == 3):
                raise InvalidCursorError("cursor 'anchor' must be [page, id, position]")
            index, item, pos = anchor
            if not (_is_nat(index) and isinstance(item, str) and _is_nat(pos)):
                raise InvalidCursorError("cursor 'anchor' has impossible values")
            watch.anchor_index, watch.anchor_id, watch.anchor_pos = index, item, pos
        signals = data.get("signals")
        if not isinstance(signals, list) or any(s not in SIGNALS for s in signals):
            raise InvalidCursorError("cursor 'signals' must list known drift signals")
        watch.signals = list(signals)
        closed = data.get("closed", False)  # absent from version 1 cursors
        if not isinstance(closed, bool):
            raise InvalidCursorError("cursor field 'closed' must be true or false")
        watch.closed = closed
        early = data.get("early", False)  # absent from cursors written before the early anchor
        if not isinstance(early, bool) or (early and watch.anchor_index is None):
            raise InvalidCursorError("cursor field 'early' must be true or false, with an anchor")
        watch.early = early
        if mode == "anchor" and watch.last_index is not None and watch.last_index > 0:
            if watch.anchor_index is None and watch.total is not None:
                raise InvalidCursorError("cursor is past the first page but has no anchor")
        return watch


@attrs.frozen
class FirstAnswer:
    """When the server answered a listing's first page: its `Date` header (whole seconds) and
    the client's round trip for it (the server read the page at most that long before)."""

    date: datetime
    elapsed: float

    @classmethod
    def of(cls, headers: Mapping[str, str], elapsed: float) -> FirstAnswer | None:
        """From a response's headers; None without a usable `Date`."""
        raw = headers.get("date")
        if not raw:
            return None
        try:
            date = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if date.tzinfo is None or elapsed < 0:
            return None
        return cls(date, elapsed)


def created_before(created: datetime | None, first: FirstAnswer) -> bool:
    """Whether an item created at `created` (server time) existed when the first page was
    read: created at least the margin and the first round trip before that answer's `Date`."""
    if not isinstance(created, datetime) or created.tzinfo is None:
        return False
    slack = timedelta(seconds=ANCHOR_AGE_MARGIN + first.elapsed)
    return created + slack <= first.date


def _is_nat(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**12


def _int_field(data: Mapping[str, Any], name: str, *, low: int, high: int) -> int:
    value = data.get(name)
    if not _is_nat(value) or not low <= value <= high:
        raise InvalidCursorError(f"cursor field {name!r} must be an integer {low}..{high}")
    return value


def _opt_int_field(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if not _is_nat(value):
        raise InvalidCursorError(f"cursor field {name!r} must be a non-negative integer")
    return value


def _opt_str_field(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidCursorError(f"cursor field {name!r} must be a string")


def _bool_field(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise InvalidCursorError(f"cursor field {name!r} must be true or false")
    return value


def ids_of(items: Iterable[Any], identify: Any) -> list[str | None]:
    """The ids of a page's items as strings (None where an item has no id)."""
    out: list[str | None] = []
    for item in items:
        value = identify(item)
        out.append(None if value is None else str(value))
    return out
