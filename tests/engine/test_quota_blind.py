"""Unreported answers granted after a ticket: the newest-first scan equals the full count."""

from __future__ import annotations

from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from asyncdam.engine.quota import blind_after


@given(st.lists(st.integers(0, 50), max_size=60), st.integers(-1, 55))
def test_blind_after_counts_the_later_marks(marks: list[int], seq: int) -> None:
    blind = deque((mark, float(i)) for i, mark in enumerate(sorted(marks)))
    assert blind_after(blind, seq) == sum(1 for mark, _ in blind if mark > seq)


def test_a_long_quiet_window_is_not_walked() -> None:
    blind = deque((mark, 0.0) for mark in range(100_000))
    assert blind_after(blind, 99_998) == 1
    assert blind_after(blind, -1) == 100_000
