"""The ids a guarded listing handed out: a set while few, then 8-byte hashes in one table.

An id is folded to a 64-bit value once, by the cheapest rule that fits it, a page at a time:

- an integer in 0..2^64-2 (or its canonical decimal string, so 5 and "5" stay one id):
  multiplied by an odd constant modulo 2^64, a bijection, so two such ids never collide;
- a 32-character lowercase hex string (Phrase ids): read as a 128-bit integer x and hashed
  with a keyed multiply-shift, `(a1 * x mod 2^192) >> 128`;
- any other string of at most 39 UTF-8 bytes: those bytes and a 0x01 sentinel as an integer
  x < 2^320, hashed the same way, `(a2 * x mod 2^384) >> 320`;
- anything longer: a keyed 8-byte blake2b.

Multiply-shift with a random odd multiplier is universal (Dietzfelbinger et al., 1997): two
different ids of one rule share a hash with probability at most 2^-63, so about n^2 / 2^64 over
n ids (5e-8 at a million). The multipliers come from a per-listing random key, so a server cannot
aim for a collision; the key travels in the cursor. Scheme 1 (keyed blake2b of `str(id)` for
every id) is what cursors written before scheme 2 hold; they still restore and keep it.

The hashes live in one of two stores, the same set either way (`insert`, `export` and the rest
answer identically):

- small mode, while at most `SMALL_LIMIT` (65,536) ids are held: a Python set, so a page is
  checked and recorded in two C-level calls (`isdisjoint`, `update`). A string id is kept as it
  is (hashed only when a cursor is written), unless it is empty or all decimal digits (those
  fold to one hash with the integer they spell); other ids are kept as their hashes. About
  115 to 135 bytes an id for Phrase's ids by tracemalloc (the 81-byte string the page already
  held, kept alive, plus 32 to 53 bytes of set), 65 to 145 for hashes; under 9 MiB at the
  limit. Hashes given from outside (`fold`, `fold_page`, a restored cursor) turn the kept
  strings into hashes for good, so every id keeps one key;
- table mode, past that (or at once when a listing announces more ids than that): one
  open-addressing table of 8-byte slots (`array('Q')`), 12 to 23 bytes an id (load
  0.35..0.7; ~18 at a million by tracemalloc), but a Python loop per page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asyncdam.engine.errors import ConfigurationError

__all__ = ["InvalidCursorError", "Key", "SeenIds"]

# What the set records for one id: its 64-bit hash, or (small mode, see `SeenIds`) a string id as
# it is. 0 stands for "no id".
Key = int | str

_M64 = (1 << 64) - 1
_M192 = (1 << 192) - 1
_M384 = (1 << 384) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # odd: multiplying by it modulo 2^64 is a bijection
_HEX = b"0123456789abcdef"
_HEX_OR_SPACE = _HEX + b" "
_SCHEMES = (1, 2)
_EMPTY = 0
# `_fold_hex32_page` reads machine words as little-endian (all CPython targets in practice).
_LITTLE_ENDIAN = sys.byteorder == "little"


class InvalidCursorError(ConfigurationError):
    """A resume cursor is malformed, tampered with, impossible, or for another listing."""


def _multiplier(key: bytes, label: bytes, bits: int) -> int:
    """An odd multiplier of `bits` bits drawn from the listing key."""
    stream = b"".join(
        hashlib.blake2b(bytes([i]) + label, key=key, digest_size=64).digest()
        for i in range((bits + 511) // 512)
    )
    return (int.from_bytes(stream, "little") & ((1 << bits) - 1)) | 1


class SeenIds:
    """A set of ids: a Python set while small (string ids as they are), then 8-byte hashes in
    one table.

    Small mode (at most `small_limit` ids, default `SMALL_LIMIT`): 65 to 145 bytes an id, and
    a page costs two C-level set calls (string ids are kept as they are, so the strings stay
    alive: ~115 to 135 bytes an id for Phrase's). Table mode (an open-addressing `array('Q')`):
    12 to 23 bytes an id (load 0.35..0.7) instead of ~100 for a set of strings, a Python loop a
    page.
    The move is one-way; both modes give the same answers and the same `export`.
    `keys_page` and `insert` work a page at a time (`fold_page` gives hashes); `add` and `in`
    take single ids.
    """

    _MAX_LOAD = 0.7
    RESERVE_LIMIT = 1 << 21  # 2M ids (a 32 MiB table) at most on a server's word
    # Up to 2^16 ids (656 pages of 100: most Phrase projects) a page costs a few us in the set
    # instead of ~30 us in the table's Python loop, for at most ~9 MiB (vs 1 MiB of table),
    # given back when the set moves into the table; the move itself costs ~20 ms once.
    SMALL_LIMIT = 1 << 16

    def __init__(
        self, key: bytes | None = None, *, scheme: int = 2, small_limit: int | None = None
    ) -> None:
        if scheme not in _SCHEMES:
            raise ValueError(f"unknown seen-id hash scheme {scheme!r}")
        self.key = key if key is not None else secrets.token_bytes(16)
        self.scheme = scheme
        self.small_limit = self.SMALL_LIMIT if small_limit is None else max(0, small_limit)
        self._a_hex = _multiplier(self.key, b"hex128", 192)
        self._a_bytes = _multiplier(self.key, b"bytes320", 384)
        self._small: set[Key] | None = set() if self.small_limit else None
        # Small mode keeps string ids as they are (hashed only for `export`): every such id then
        # has one key for the set's whole life. A restored set holds hashes, so it never does.
        self._raw_strings = self._small is not None
        self._bits = 6
        self._table = array("Q", bytes(8 << self._bits) if self._small is None else b"")
        self._count = 0

    def __len__(self) -> int:
        return self._count if self._small is None else len(self._small)

    @property
    def small(self) -> bool:
        """True while the hashes are kept in a Python set (small mode)."""
        return self._small is not None

    @property
    def nbytes(self) -> int:
        """Bytes held: the table's slots, or in small mode the set and the keys it holds (ints,
        and the id strings it keeps alive) as `sys.getsizeof` counts them."""
        if self._small is not None:
            return sys.getsizeof(self._small) + sum(map(sys.getsizeof, self._small))
        return self._table.itemsize * len(self._table)

    # -- folding ids to hashes ------------------------------------------------------------------

    def fold(self, item_id: object) -> int:
        """The 64-bit hash of one id (never 0). Hashes given to `insert` must match the set's
        own keys: a set keeping ids as they are hashes them now (see `keys_page`)."""
        self._leave_raw()
        return self._fold(item_id)

    def _fold(self, item_id: object) -> int:
        if self.scheme == 1:
            return self._blake(str(item_id).encode("utf-8", "surrogatepass"))
        if type(item_id) is int:
            if 0 <= item_id < _M64:
                return ((item_id + 1) * _GOLDEN) & _M64
            return self._fold_bytes(str(item_id))
        if isinstance(item_id, str):
            if len(item_id) == 32 and _is_lower_hex(item_id):
                return (((self._a_hex * int(item_id, 16)) & _M192) >> 128) or 1
            if 0 < len(item_id) <= 20 and item_id.isascii() and item_id.isdigit():
                if item_id[0] != "0" or len(item_id) == 1:
                    number = int(item_id)
                    if number < _M64:
                        return ((number + 1) * _GOLDEN) & _M64
            return self._fold_bytes(item_id)
        return self._fold(str(item_id))

    def keys_page(self, ids: Sequence[object]) -> list[Key]:
        """The key of each id for `insert` (0 where an id is None): its `fold`, except that
        small mode keeps string ids as they are (`_key`; a page of long strings, such as
        Phrase's 32-hex ids, in two C-level passes) and hashes them only for `export`."""
        if not self._raw_strings:
            return self._fold_page(ids)  # type: ignore[return-value]
        if ids and type(ids[0]) is str:
            texts: Sequence[str] = ids  # type: ignore[assignment]
            try:
                "".join(texts)  # a TypeError unless every id is a string (one C-level pass)
            except TypeError:
                pass
            else:
                if min(map(len, texts)) > 20:
                    return list(texts)  # long strings, no decimal among them: each its own key
        key = self._key  # a mixed page: each id must get the same key as on any page
        return [0 if v is None else key(v) for v in ids]

    def _key(self, item_id: object) -> Key:
        """`keys_page` of one id: small mode keeps a string as it is unless it is empty or
        could be the decimal spelling of an integer id (both must fold to one hash)."""
        if self._raw_strings and type(item_id) is str and item_id:
            if len(item_id) > 20 or not (item_id.isascii() and item_id.isdigit()):
                return item_id
        return self._fold(item_id)

    def fold_page(self, ids: Sequence[object]) -> list[int]:
        """`fold` of each id (0 where an id is None), with one check per page for the usual
        pages: all small integers, or all Phrase-style hex strings."""
        self._leave_raw()
        return self._fold_page(ids)

    def _fold_page(self, ids: Sequence[object]) -> list[int]:
        if self.scheme == 2 and ids:
            first = type(ids[0])
            if first is str:
                texts: Sequence[str] = ids  # type: ignore[assignment]
                joined = _joined_lower_hex32(texts)
                if joined is not None:
                    if _LITTLE_ENDIAN:
                        return _fold_hex32_page(self._a_hex, joined, len(texts))
                    a, m192 = self._a_hex, _M192
                    return [(((a * int(s, 16)) & m192) >> 128) or 1 for s in texts]
            elif first is int and set(map(type, ids)) == {int}:
                ints: Sequence[int] = ids  # type: ignore[assignment]
                if min(ints) >= 0 and max(ints) < _M64:
                    return [((v + 1) * _GOLDEN) & _M64 for v in ints]
        fold = self._fold
        return [0 if v is None else fold(v) for v in ids]

    def _fold_bytes(self, text: str) -> int:
        raw = text.encode("utf-8", "surrogatepass")
        if len(raw) > 39:
            return self._blake(raw)
        x = int.from_bytes(raw + b"\x01", "little")
        return (((self._a_bytes * x) & _M384) >> 320) or 1

    def _blake(self, raw: bytes) -> int:
        digest = hashlib.blake2b(raw, digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "little") or 1

    # -- the table ------------------------------------------------------------------------------

    def __contains__(self, item_id: object) -> bool:
        if item_id is None:
            return False
        if self._small is not None:
            return self._key(item_id) in self._small
        h = self._fold(item_id)
        table, mask = self._table, len(self._table) - 1
        i = h >> (64 - self._bits)
        while True:
            value = table[i]
            if value == h:
                return True
            if value == _EMPTY:
                return False
            i = (i + 1) & mask

    def add(self, item_id: object) -> bool:
        """Record `item_id`; True when it was not there yet."""
        return not self.insert([self._key(item_id)])

    def insert(self, keys: Sequence[Key]) -> list[int]:
        """Record a page's keys (from `keys_page`, or hashes from `fold_page`; 0: no id,
        skipped); the positions that were already there (a repeat within the page included),
        in order."""
        small = self._small
        if small is not None:
            if len(small) + len(keys) <= self.small_limit:
                return _insert_small(small, keys)
            self._to_table(len(keys))
        hashes = self._hashes_of(keys)
        self._reserve(len(hashes))
        table, mask, shift = self._table, len(self._table) - 1, 64 - self._bits
        present: list[int] = []
        added = 0
        for position, h in enumerate(hashes):
            if not h:
                continue
            i = h >> shift
            value = table[i]
            if value == _EMPTY:  # the usual case under the load limit: a free home slot
                table[i] = h
                added += 1
                continue
            while value != h:
                i = (i + 1) & mask
                value = table[i]
                if value == _EMPTY:
                    table[i] = h
                    added += 1
                    break
            else:
                present.append(position)
        self._count += added
        return present

    def reserve(self, total: int) -> None:
        """Size the store for `total` ids at once (a listing's announced total), so the table
        is not rebuilt while it fills; at most `RESERVE_LIMIT` ids are reserved this way. A
        total past `small_limit` moves a small set into the table now."""
        wanted = min(total, self.RESERVE_LIMIT)
        if self._small is not None:
            if wanted <= self.small_limit:
                return  # a set cannot be presized; it grows on its own
            self._to_table(wanted - len(self._small))
        self._reserve(max(0, wanted - self._count))

    def _to_table(self, more: int) -> None:
        """Leave small mode: every hash of the set into a table sized for `more` besides."""
        small = self._small
        if small is None:
            return
        self._small = None
        self._raw_strings = False  # the table holds hashes only, from now on for every id
        self._bits, self._table, self._count = 6, array("Q", bytes(8 << 6)), 0
        self._reserve(len(small) + max(0, more))
        self.insert(list(small))  # hashed there, in table mode

    def _leave_raw(self) -> None:
        """Hash the ids kept as they are and keep hashes only from now on (hashes from outside
        are about to be compared with the set's keys)."""
        if not self._raw_strings:
            return
        self._raw_strings = False
        if self._small:
            self._small = set(self._hashes_of(list(self._small)))

    def _hashes_of(self, keys: Sequence[Key]) -> list[int]:
        """The hashes of some keys (ids kept as they are get hashed now, a page at a time)."""
        if all(type(k) is int for k in keys):
            return keys  # type: ignore[return-value]
        texts = [k for k in keys if type(k) is str]
        hashed = iter(self._fold_page(texts))
        return [next(hashed) if type(k) is str else k for k in keys]  # type: ignore[misc]

    def _reserve(self, more: int) -> None:
        """Grow (doubling) until `more` further hashes keep the load under the maximum."""
        size = len(self._table)
        bits = self._bits
        while self._count + more > self._MAX_LOAD * size:
            size *= 2
            bits += 1
        if bits == self._bits:
            return
        old = self._table
        self._table, self._bits = array("Q", bytes(8 * size)), bits
        table, mask, shift = self._table, size - 1, 64 - bits
        for h in old:
            if h != _EMPTY:
                i = h >> shift
                while table[i] != _EMPTY:
                    i = (i + 1) & mask
                table[i] = h

    # -- cursors --------------------------------------------------------------------------------

    def export(self, exclude: Iterable[Key] = ()) -> dict[str, Any]:
        """JSON-able form: the key, the hash scheme and the sorted hashes, base64 (8 bytes an
        id); `exclude`: keys recorded but not handed out yet (the rest of a page)."""
        left_out = set(exclude)
        kept: Iterable[int]
        if self._small is not None:
            keys = self._small - left_out if left_out else self._small
            kept = self._hashes_of(list(keys))
        else:
            left_out = set(self._hashes_of(list(left_out)))
            kept = (h for h in self._table if h != _EMPTY and h not in left_out)
        hashes = array("Q", sorted(kept))
        if hashes.itemsize != 8:  # pragma: no cover - 'Q' is 8 bytes on every CPython we support
            raise RuntimeError("unsigned long long is not 8 bytes here")
        return {
            "key": self.key.hex(),
            "scheme": self.scheme,
            "hashes": base64.b64encode(hashes.tobytes()).decode("ascii"),
        }

    @classmethod
    def restore(cls, data: object, *, small_limit: int | None = None) -> SeenIds:
        """The inverse of `export`; malformed data raises `InvalidCursorError`."""
        if not isinstance(data, Mapping):
            raise InvalidCursorError("cursor 'seen' must be an object")
        key_hex, packed = data.get("key"), data.get("hashes")
        scheme = data.get("scheme", 1)
        if not isinstance(key_hex, str) or not isinstance(packed, str):
            raise InvalidCursorError("cursor 'seen' needs 'key' and 'hashes' strings")
        if scheme not in _SCHEMES or isinstance(scheme, bool):
            raise InvalidCursorError(f"cursor 'seen' has an unknown hash scheme {scheme!r}")
        try:
            key = bytes.fromhex(key_hex)
            raw = base64.b64decode(packed, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidCursorError("cursor 'seen' is not valid hex/base64") from None
        if not 1 <= len(key) <= 64 or len(raw) % 8:
            raise InvalidCursorError("cursor 'seen' has a bad key or a truncated hash list")
        hashes = array("Q")
        hashes.frombytes(raw)
        previous = 0
        for h in hashes:
            if h <= previous:
                raise InvalidCursorError("cursor 'seen' hashes are not strictly increasing")
            previous = h
        seen = cls(key, scheme=scheme, small_limit=small_limit)
        seen._raw_strings = False  # it holds hashes: every later id must be hashed to match them
        seen.insert(hashes)
        return seen


def _is_lower_hex(text: str) -> bool:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        return False
    return not raw.translate(None, _HEX)


def _joined_lower_hex32(texts: Sequence[str]) -> str | None:
    """The strings joined by single spaces when every one is 32 lowercase hex digits, else
    None. Joining with a separator checks every length at once: the string is 33n - 1 long,
    holds n - 1 spaces and has them at every 33rd place exactly when each id is 32 long (and
    `bytes.fromhex` skips the spaces)."""
    count = len(texts)
    try:
        joined = " ".join(texts)
    except TypeError:  # not all strings
        return None
    if len(joined) != 33 * count - 1 or joined.count(" ") != count - 1:
        return None
    if joined[32::33] != " " * (count - 1):
        return None
    try:
        raw = joined.encode("ascii")
    except UnicodeEncodeError:
        return None
    return None if raw.translate(None, _HEX_OR_SPACE) else joined


def _insert_small(small: set[Key], hashes: Sequence[Key]) -> list[int]:
    """`SeenIds.insert` for small mode: a page with no repeat (the usual one) in two C-level
    calls; otherwise id by id."""
    if small.isdisjoint(hashes):
        before = len(small)
        small.update(hashes)
        if len(small) - before == len(hashes):  # all distinct and new (a lone 0 included)
            small.discard(0)
            return []
        small.difference_update(hashes)  # none was there before: back to where it was
    present: list[int] = []
    add = small.add
    for position, h in enumerate(hashes):
        if h:
            if h in small:
                present.append(position)
            else:
                add(h)
    return present


def _fold_hex32_page(a: int, joined: str, count: int) -> list[int]:
    """`(a * x mod 2^192) >> 128` for each 128-bit x of a page of 32-hex ids, in one product.

    The ids go into one integer, each in its own 320-bit block (x < 2^128 and a < 2^192, so
    a * x < 2^320 never carries into the next block); one multiplication by `a` then computes
    every a * x at once, and the hash of id k is the third 64-bit word of block k. The same
    values as the per-id formula, at about 0.7x its cost for a page of 100 (C-level steps only;
    17-19 us vs 24 us measured). `joined` is `_joined_lower_hex32`'s space-separated page.
    """
    words = array("Q", bytes.fromhex(joined))
    words.byteswap()  # each id as two numbers: its high 64 bits, then its low 64 bits
    blocks = array("Q", bytes(40 * count))
    view, halves = memoryview(blocks), memoryview(words)
    view[0::5] = halves[1::2]  # little-endian blocks: low word first
    view[1::5] = halves[0::2]
    product = (a * int.from_bytes(blocks, "little")).to_bytes(40 * count, "little")
    hashes: list[int] = memoryview(product).cast("Q")[2::5].tolist()
    if 0 in hashes:  # 0 marks an empty slot of the table: a zero hash becomes 1, as in `fold`
        hashes = [h or 1 for h in hashes]
    return hashes
