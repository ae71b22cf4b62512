"""The seen-id set's hashing rules: one hash per id whatever path folds it, old cursors kept."""

from __future__ import annotations

import base64
import hashlib
import json
from array import array
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.consistency import InvalidCursorError, SeenIds
from asyncdam.engine.page_strategies import LinkHeaderStrategy
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Request, Response

pytestmark = pytest.mark.anyio

hex32 = st.text("0123456789abcdef", min_size=32, max_size=32)
ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    hex32,
    st.text("0123456789", min_size=1, max_size=21),
    st.text(max_size=60),
    st.none(),
)


@given(st.lists(ids, max_size=40))
@settings(max_examples=150, deadline=None)
def test_a_page_folds_as_its_ids_do_one_by_one(page: list[Any]) -> None:
    seen = SeenIds()
    expected = [0 if value is None else seen.fold(value) for value in page]
    assert seen.fold_page(page) == expected
    assert all(h != 0 for v, h in zip(page, expected, strict=True) if v is not None)


@given(st.lists(hex32, min_size=1, max_size=30), st.lists(st.integers(0, 2**64 - 2), max_size=30))
@settings(max_examples=60, deadline=None)
def test_fast_pages_match_the_scalar_rule(hexes: list[str], ints: list[int]) -> None:
    seen = SeenIds()
    assert seen.fold_page(hexes) == [seen.fold(h) for h in hexes]
    assert seen.fold_page(ints) == [seen.fold(i) for i in ints]


def test_an_int_and_its_decimal_string_are_one_id() -> None:
    seen = SeenIds()
    assert seen.add(42)
    assert not seen.add("42")
    assert seen.add("042")  # not the canonical spelling: another id
    assert seen.add(2**64 + 5) and not seen.add(str(2**64 + 5))
    assert "42" in seen and 42 in seen and 43 not in seen and None not in seen


def test_case_and_length_keep_hex_ids_apart() -> None:
    seen = SeenIds()
    lower = "abcdef0123456789abcdef0123456789"
    assert seen.add(lower)
    assert seen.add(lower.upper())
    assert seen.add(lower[1:])
    assert seen.add("0" + lower[1:])
    assert len(seen) == 4


def test_insert_reports_what_was_there_including_repeats_within_a_page() -> None:
    seen = SeenIds()
    first = seen.fold_page(["a", "b", None, "c"])
    assert seen.insert(first) == []
    second = seen.fold_page(["c", "d", "d", None, "a"])
    assert seen.insert(second) == [0, 2, 4]
    assert len(seen) == 4


def test_reserve_sizes_the_table_once_and_is_capped() -> None:
    seen = SeenIds(small_limit=0)  # the table from the start: its sizing is what is tested
    seen.reserve(10_000)
    size = seen.nbytes
    seen.insert(seen.fold_page(list(range(10_000))))
    assert seen.nbytes == size and len(seen) == 10_000
    huge = SeenIds()
    huge.reserve(10**12)  # a server's word is not a reason for an unbounded table
    assert not huge.small and huge.nbytes <= 8 * 4 * SeenIds.RESERVE_LIMIT
    modest = SeenIds()
    modest.reserve(10_000)  # under the small limit: stays a set
    assert modest.small


def test_export_leaves_out_what_was_not_handed_out() -> None:
    seen = SeenIds()
    hashes = seen.fold_page([f"k{i}" for i in range(10)])
    seen.insert(hashes)
    restored = SeenIds.restore(json.loads(json.dumps(seen.export(exclude=hashes[6:]))))
    assert len(restored) == 6
    assert "k5" in restored and "k6" not in restored


def test_scheme_one_cursors_still_restore() -> None:
    key = bytes(range(16))
    hashes = sorted(
        int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8, key=key).digest(), "little")
        for v in ("k1", "k2", "7")
    )
    old = {"key": key.hex(), "hashes": base64.b64encode(array("Q", hashes).tobytes()).decode()}
    seen = SeenIds.restore(old)
    assert seen.scheme == 1 and len(seen) == 3
    assert "k1" in seen and 7 in seen and "k3" not in seen
    assert seen.export()["scheme"] == 1
    with pytest.raises(InvalidCursorError):
        SeenIds.restore({**old, "scheme": 3})


# -- the closing read is the anchor page's own read --------------------------------------------


ITEMS = [{"id": f"k{i}"} for i in range(23)]


def _fetcher(log: list[int]) -> Any:
    async def fetch(request: Request) -> Response:
        query = dict(request.query or {})
        size, page = int(query["per_page"]), int(query["page"])
        log.append(page)
        pages = -(-len(ITEMS) // size)
        meta = {"total_count": len(ITEMS), "total_pages_count": pages, "current_page": page}
        body = json.dumps(ITEMS[(page - 1) * size : page * size]).encode()
        return Response(
            status=200,
            headers=httpx.Headers({"Pagination": json.dumps(meta)}),
            content=body,
            method="GET",
            url="https://x.test/i",
        )

    return fetch


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("fetch_ahead", [0, 2, 4])
async def test_the_last_page_is_read_after_every_other_and_closes_the_pass(
    streaming: bool, fetch_ahead: int
) -> None:
    log: list[int] = []
    pager: Paginator[dict[str, str]] = Paginator(
        _fetcher(log),
        Request(method="GET", path="/i"),
        LinkHeaderStrategy(per_page=5),
        lambda r: r.json(),
        fetch_ahead=fetch_ahead,
        identify=lambda item: item["id"],
    )
    if streaming:
        async with pager:
            got = [item["id"] async for item in pager]
    else:
        got = [item["id"] async for item in pager]
    assert got == [item["id"] for item in ITEMS]
    # Page 1, the anchor (5), pages 2-4, then the last page with page 1 revalidated beside it.
    assert sorted(log[:2]) == [1, 5]
    assert sorted(log[2:5]) == [2, 3, 4]
    assert sorted(log[5:]) == [1, 5]
    cursor = pager.cursor
    assert cursor == {"v": 1, "strategy": "link-header", "done": True}
