"""Complete listings over changing data: drift signals, a compact seen-id set, the cursor state.

The guarantee a guarded `Paginator` gives: every item that exists for the whole duration of a
listing is handed out exactly once; an item created or deleted meanwhile may or may not appear.
Everything here is pure (no I/O, no clock); `Paginator` drives it.

How a pass proves it missed nothing, given a stable order in which new items sort last
(creation time or id ascending; the adapters ask for one by default):

- offset paging (`overlap`): each page starts on the previous page's last item. When the two
  meet, no item can have slipped between them, whatever happened meanwhile.
- page-number paging (`anchor`): right after the first page the last page is read (the
  anchor: its last item Z at position P). After the pass the first and the last page are read
  again (ETag revalidations, free of quota on Phrase when unchanged): if the first page still
  ends on the same item and Z is still at P, no item before Z was deleted during the pass, and
  only such a deletion can push an unseen item back onto a page already read.

Any other outcome is drift (`SIGNALS`): the pass is repaired by listing again and handing out
only ids not handed out yet, until a pass ends without drift.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeGuard

import attrs

from asyncdam.engine.errors import AsyncDamError, ConfigurationError

__all__ = [
    "CONSISTENCY_MODES",
    "RECONCILE_MODES",
    "SIGNALS",
    "InvalidCursorError",
    "ListingChanged",
    "PassWatch",
    "SeenIds",
    "check_policy",
]

Consistency = Literal["repair", "raise", "off"]
Reconcile = Literal["on_drift", "always"]
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

GUARD_VERSION = 1
MAX_PASSES_LIMIT = 10
_EMPTY = 0


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


class InvalidCursorError(ConfigurationError):
    """A resume cursor is malformed, tampered with, impossible, or for another listing."""


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


# -- the seen-id set ---------------------------------------------------------------------------


class SeenIds:
    """A set of ids kept as 8-byte keyed hashes in one open-addressing table (`array('Q')`).

    About 11 to 23 bytes per id (load factor 0.35..0.7) instead of ~100 for a set of strings.
    Two different ids share a hash with probability about n^2 / 2^65 (5e-8 at a million ids);
    the hash is keyed per listing (blake2b), so the server cannot aim for a collision.
    """

    _MAX_LOAD = 0.7

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else secrets.token_bytes(16)
        self._table = array("Q", bytes(8 * 64))
        self._mask = 63
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Bytes held by the table."""
        return self._table.itemsize * len(self._table)

    def _hash(self, item_id: str) -> int:
        digest = hashlib.blake2b(item_id.encode("utf-8"), digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "little") or 1

    def _slot(self, h: int) -> int:
        table, mask = self._table, self._mask
        i = h & mask
        while True:
            value = table[i]
            if value == h or value == _EMPTY:
                return i
            i = (i + 1) & mask

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, str):
            return False
        h = self._hash(item_id)
        return self._table[self._slot(h)] == h

    def add(self, item_id: str) -> bool:
        """Record `item_id`; True when it was not there yet."""
        return self._add_hash(self._hash(item_id))

    def _add_hash(self, h: int) -> bool:
        i = self._slot(h)
        if self._table[i] == h:
            return False
        self._table[i] = h
        self._count += 1
        if self._count > self._MAX_LOAD * len(self._table):
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        self._table = array("Q", bytes(16 * len(old)))
        self._mask = len(self._table) - 1
        for h in old:
            if h != _EMPTY:
                self._table[self._slot(h)] = h

    def export(self) -> dict[str, str]:
        """JSON-able form: the key and the sorted hashes, base64 (8 bytes per id)."""
        hashes = array("Q", sorted(h for h in self._table if h != _EMPTY))
        if hashes.itemsize != 8:  # pragma: no cover - 'Q' is 8 bytes on every CPython we support
            raise RuntimeError("unsigned long long is not 8 bytes here")
        return {
            "key": self.key.hex(),
            "hashes": base64.b64encode(hashes.tobytes()).decode("ascii"),
        }

    @classmethod
    def restore(cls, data: object) -> SeenIds:
        """The inverse of `export`; malformed data raises `InvalidCursorError`."""
        if not isinstance(data, Mapping):
            raise InvalidCursorError("cursor 'seen' must be an object")
        key_hex, packed = data.get("key"), data.get("hashes")
        if not isinstance(key_hex, str) or not isinstance(packed, str):
            raise InvalidCursorError("cursor 'seen' needs 'key' and 'hashes' strings")
        try:
            key = bytes.fromhex(key_hex)
            raw = base64.b64decode(packed, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidCursorError("cursor 'seen' is not valid hex/base64") from None
        if not 1 <= len(key) <= 64 or len(raw) % 8:
            raise InvalidCursorError("cursor 'seen' has a bad key or a truncated hash list")
        hashes = array("Q")
        hashes.frombytes(raw)
        seen = cls(key)
        previous = 0
        for h in hashes:
            if h <= previous:
                raise InvalidCursorError("cursor 'seen' hashes are not strictly increasing")
            previous = h
            seen._add_hash(h)
        return seen


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
        if self.first_last_id is not None:
            ok = len(first_ids) == self.first_size and first_ids[-1] == self.first_last_id
        if ok and self.anchor_id is not None and self.anchor_pos is not None:
            pos = self.anchor_pos
            ok = pos < len(anchor_ids) and anchor_ids[pos] == self.anchor_id
        if not ok and self.flag("anchor_moved"):
            return ["anchor_moved"]
        return []

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
        if mode == "anchor" and watch.last_index is not None and watch.last_index > 0:
            if watch.anchor_index is None and watch.total is not None:
                raise InvalidCursorError("cursor is past the first page but has no anchor")
        return watch


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
    assert isinstance(value, int)
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
