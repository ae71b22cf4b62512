"""Small mode keeps Phrase-style ids as they are: the same answers and exports as hashing them."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.seen_ids import SeenIds

KEY = bytes(range(16))
HEXES = [f"{i * 7919:032x}" for i in range(60)]
hex_page = st.lists(st.sampled_from(HEXES), max_size=30)
mixed_page = st.lists(
    st.one_of(
        st.sampled_from(HEXES),
        st.integers(0, 45),
        # Short names, decimal spellings of the integers (one id with them), a non-canonical
        # one (another id), the empty string, and long non-hex names.
        st.sampled_from(["k1", "k2", "42", "7", "042", "", "x" * 25, "Y" * 32]),
        st.none(),
    ),
    max_size=30,
)


def _record(seen: SeenIds, page: list[Any]) -> tuple[list[Any], list[int]]:
    keys = seen.keys_page(page)
    return keys, seen.insert(keys)


@given(st.lists(st.one_of(hex_page, mixed_page), max_size=15), st.integers(1, 120))
@settings(max_examples=150, deadline=None)
def test_raw_keys_answer_as_hashes_do(pages: list[list[Any]], small_limit: int) -> None:
    raw = SeenIds(KEY, small_limit=small_limit)  # keeps hex ids as they are while small
    hashed = SeenIds(KEY, small_limit=0)  # the table: hashes only
    last: tuple[list[Any], list[Any]] = ([], [])
    for page in pages:
        keys, present = _record(raw, page)
        hashed_keys, hashed_present = _record(hashed, page)
        assert present == hashed_present
        assert len(raw) == len(hashed)
        last = (keys, hashed_keys)
    for value in [*HEXES, 0, 41, "k1", "k3", None]:
        assert (value in raw) == (value in hashed)
    assert raw.export() == hashed.export()
    # The rest of a page left out of a cursor, given as the keys the guard holds for it.
    assert raw.export(exclude=last[0]) == hashed.export(exclude=last[1])


def test_a_fresh_set_keeps_string_ids_as_they_are() -> None:
    assert SeenIds(KEY).keys_page(HEXES[:3]) == HEXES[:3]
    assert SeenIds(KEY).keys_page(["K" * 32, "name"]) == ["K" * 32, "name"]
    hashed = SeenIds(KEY, small_limit=0)
    for page in ([1, 2], ["42", "", None]):  # integers and what must fold with them
        assert SeenIds(KEY).keys_page(page) == hashed.keys_page(page)


def test_hashes_from_outside_turn_kept_ids_into_hashes() -> None:
    seen = SeenIds(KEY)
    seen.insert(seen.keys_page(HEXES[:5]))
    assert seen.insert(seen.fold_page(HEXES[3:7])) == [0, 1]  # fold_page: hashes from now on
    assert HEXES[0] in seen and len(seen) == 7
    assert seen.keys_page(HEXES[:1]) == seen.fold_page(HEXES[:1])


def test_a_restored_set_hashes_every_id_and_finds_the_earlier_ones() -> None:
    first = SeenIds(KEY)
    first.insert(first.keys_page(HEXES[:10]))
    restored = SeenIds.restore(first.export())
    assert restored.keys_page(HEXES[:2]) == restored.fold_page(HEXES[:2])
    assert restored.insert(restored.keys_page(HEXES[8:12])) == [0, 1]
    assert HEXES[0] in restored and HEXES[20] not in restored


def test_moving_to_the_table_hashes_the_kept_ids() -> None:
    seen = SeenIds(KEY, small_limit=20)
    assert seen.insert(seen.keys_page(HEXES[:15])) == []
    assert seen.small
    assert seen.insert(seen.keys_page(HEXES[10:25])) == [0, 1, 2, 3, 4]  # past the limit
    assert not seen.small
    assert seen.keys_page(HEXES[:1]) == seen.fold_page(HEXES[:1])  # hashes from now on
    assert seen.insert(seen.keys_page(HEXES[:1])) == [0]
    assert len(seen) == 25
    table = SeenIds(KEY, small_limit=0)
    table.insert(table.fold_page(HEXES[:25]))
    assert seen.export() == table.export()
