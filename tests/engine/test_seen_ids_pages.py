"""A page of Phrase-style hex ids folds in one product: the same hashes as id by id."""

from __future__ import annotations

import base64
from array import array
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine import seen_ids
from asyncdam.engine.seen_ids import SeenIds

hex32 = st.text("0123456789abcdef", min_size=32, max_size=32)
extremes = st.sampled_from(
    ["0" * 32, "f" * 32, "0" * 31 + "1", "8" + "0" * 31, "f" * 16 + "0" * 16]
)


@given(st.lists(st.one_of(hex32, extremes), min_size=1, max_size=300), st.binary(min_size=1))
@settings(max_examples=100, deadline=None)
def test_page_product_equals_the_per_id_rule(page: list[str], key: bytes) -> None:
    seen = SeenIds(key[:64])
    assert seen.fold_page(page) == [seen.fold(value) for value in page]


def test_a_zero_hash_becomes_one_as_in_fold() -> None:
    seen = SeenIds(b"key")
    page = ["0" * 32, "0" * 31 + "1"]
    folded = seen.fold_page(page)
    assert folded[0] == 1 == seen.fold("0" * 32)  # x = 0: a * x is 0, and 0 marks empty slots
    assert folded == [seen.fold(value) for value in page]


def test_mixed_or_uppercase_pages_take_the_per_id_rule() -> None:
    seen = SeenIds(b"key")
    upper = ["A" * 32, "b" * 32]
    short = ["a" * 31, "b" * 32]
    assert seen.fold_page(upper) == [seen.fold(value) for value in upper]
    assert seen.fold_page(short) == [seen.fold(value) for value in short]
    assert seen_ids._joined_lower_hex32(upper) is None
    assert seen_ids._joined_lower_hex32(short) is None
    assert seen_ids._joined_lower_hex32(["a" * 32, "0" * 32]) == "a" * 32 + " " + "0" * 32


@pytest.mark.parametrize(
    "page",
    [
        ["a" * 33, "b" * 31],  # the right total length, but not 32 each
        ["a" * 16 + " " + "a" * 15, "b" * 32],  # a space inside an id
        ["a" * 31, "b" * 33],
        ["a" * 32, "b" * 31 + "\t"],
        ["a" * 32, 5],
        ["a" * 32, None],
        ["a" * 31 + "é", "b" * 32],
    ],
)
def test_the_joined_check_refuses_near_misses(page: list[Any]) -> None:
    assert seen_ids._joined_lower_hex32(page) is None
    seen = SeenIds(b"key")
    assert seen.fold_page(page) == [0 if v is None else seen.fold(v) for v in page]


# Hashes whose top bits (the home slot) collide often: long probe chains, wrap-around, growth.
crowded = st.integers(1, 2**64 - 1).map(lambda h: (h & (0xF << 60)) | (h & 0x7) or 1)


@given(
    st.lists(st.lists(st.one_of(crowded, st.just(0)), max_size=40), max_size=12),
    st.sampled_from([0, 7, 60, None]),  # table only, early and later migration, set only
)
@settings(max_examples=150, deadline=None)
def test_insert_matches_a_set(pages: list[list[int]], small_limit: int | None) -> None:
    seen = SeenIds(b"key", small_limit=small_limit)
    model: set[int] = set()
    for page in pages:
        expected = []
        for position, h in enumerate(page):
            if not h:
                continue
            if h in model:
                expected.append(position)
            model.add(h)
        assert seen.insert(page) == expected
        assert len(seen) == len(model)
    exported = base64.b64decode(seen.export()["hashes"])
    assert array("Q", exported).tolist() == sorted(model)
