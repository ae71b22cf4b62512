"""Small mode (a set of hashes) and table mode answer alike, and the move between them."""

from __future__ import annotations

import json
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.seen_ids import SeenIds

KEY = bytes(range(16))
# A small pool, so pages repeat ids within themselves and across pages.
pool = st.one_of(
    st.integers(0, 40),
    st.sampled_from([f"{i:032x}" for i in range(40)]),
    st.sampled_from([f"k{i}" for i in range(10)]),
    st.none(),
)
page_of = st.lists(pool, max_size=30)
hex_page = st.lists(st.sampled_from([f"{i * 7919:032x}" for i in range(60)]), max_size=30)


@given(st.lists(st.one_of(page_of, hex_page), max_size=15), st.integers(1, 120))
@settings(max_examples=150, deadline=None)
def test_small_and_table_modes_give_the_same_answers(
    pages: list[list[Any]], small_limit: int
) -> None:
    small = SeenIds(KEY, small_limit=small_limit)
    table = SeenIds(KEY, small_limit=0)
    default = SeenIds(KEY)  # never leaves small mode here
    model: set[int] = set()
    for page in pages:
        hashes = small.fold_page(page)
        assert hashes == table.fold_page(page) == default.fold_page(page)
        expected = []
        for position, h in enumerate(hashes):
            if h:
                if h in model:
                    expected.append(position)
                model.add(h)
        assert small.insert(hashes) == table.insert(hashes) == default.insert(hashes) == expected
        assert len(small) == len(table) == len(default) == len(model)
        assert small.small == (len(model) <= small_limit) or not small.small
        assert default.small and not table.small
    for value in [v for page in pages for v in page] + [41, "k10", f"{41:032x}"]:
        assert (value in small) == (value in table) == (value in default)
    exported = small.export()
    assert exported == table.export() == default.export()
    some = sorted(model)[::2]
    assert small.export(exclude=some) == table.export(exclude=some)


def test_the_set_moves_into_the_table_when_a_page_would_cross_the_limit() -> None:
    seen = SeenIds(KEY, small_limit=10)
    assert seen.insert(seen.fold_page(list(range(6)))) == []
    assert seen.insert(seen.fold_page([6, 7, 8, 9])) == []
    assert seen.small and len(seen) == 10  # exactly at the limit: still a set
    assert seen.insert(seen.fold_page([9, 10])) == [0]
    assert not seen.small and len(seen) == 11
    assert all(i in seen for i in range(11)) and 11 not in seen
    assert seen.insert(seen.fold_page([3, 11, 11])) == [0, 2]
    assert seen.add(12) and not seen.add(12) and len(seen) == 13


def test_a_big_page_moves_even_when_it_repeats_known_ids() -> None:
    # The move is decided on the page's length (a bound), not on how many ids are new.
    seen = SeenIds(KEY, small_limit=5)
    seen.insert(seen.fold_page([1, 2, 3]))
    assert seen.insert(seen.fold_page([1, 2, 3])) == [0, 1, 2]
    assert not seen.small and len(seen) == 3


def test_reserve_past_the_limit_moves_at_once_and_sizes_the_table() -> None:
    seen = SeenIds(KEY, small_limit=100)
    seen.insert(seen.fold_page(["a", "b"]))
    seen.reserve(100)
    assert seen.small  # not past the limit
    seen.reserve(1000)
    assert not seen.small and len(seen) == 2 and "a" in seen
    size = seen.nbytes
    assert size >= 8 * 1000 / 0.7
    seen.insert(seen.fold_page(list(range(998))))
    assert seen.nbytes == size and len(seen) == 1000  # no rebuild while it filled


def test_exports_are_byte_identical_and_restore_in_either_mode() -> None:
    ids = [f"{i * 104729:032x}" for i in range(300)] + list(range(50)) + ["x", "y"]
    small, table = SeenIds(KEY), SeenIds(KEY, small_limit=0)
    for seen in (small, table):
        for start in range(0, len(ids), 100):
            seen.insert(seen.fold_page(ids[start : start + 100]))
    data = json.loads(json.dumps(small.export()))
    assert data == table.export()
    as_set = SeenIds.restore(data)
    as_table = SeenIds.restore(data, small_limit=100)  # 352 ids: past this limit
    assert as_set.small and not as_table.small
    for restored in (as_set, as_table):
        assert len(restored) == len(ids)
        assert restored.export() == data
        assert all(value in restored for value in ids) and "z" not in restored
        assert restored.insert(restored.fold_page(["x", "z", "z"])) == [0, 2]


def test_small_mode_reports_its_bytes_honestly() -> None:
    seen = SeenIds(KEY)
    hashes = seen.fold_page([f"{i:032x}" for i in range(5000)])
    seen.insert(hashes)
    held = list(seen._small or ())  # the set's own int objects, as nbytes counts them
    assert seen.small
    assert seen.nbytes == sys.getsizeof(seen._small) + sum(map(sys.getsizeof, held))
    assert 50 <= seen.nbytes / len(seen) <= 160  # the module docstring's 65 to 145


def test_a_page_of_only_new_ids_with_one_missing_id_keeps_no_zero() -> None:
    seen = SeenIds(KEY)
    assert seen.insert(seen.fold_page(["a", None, "b"])) == []
    assert len(seen) == 2 and None not in seen
    assert seen.insert([0, 0]) == [] and len(seen) == 2
    assert seen.export() == SeenIds.restore(seen.export(), small_limit=0).export()
