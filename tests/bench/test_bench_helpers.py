"""The pure parts of the benchmarks: the quota-bound minimum and the request recorder."""

from __future__ import annotations

import math

import pytest

from benchmarks.quota_job import last_batch, quota_minimum, strict_minimum


def test_last_batch_counts_the_requests_of_the_final_window() -> None:
    assert last_batch(1000, 200) == 200
    assert last_batch(1001, 200) == 1
    assert last_batch(150, 200) == 150


def test_minimum_charges_the_first_window_up_to_its_announced_reset() -> None:
    # t0 = 100.25: the first window ends at 110.25 and announces 111, so it costs 10.75 s; three
    # later full windows cost floor(10) + 1 = 11 s each; the last batch is measured (2.5 s).
    assert quota_minimum(1000, 200, 10.0, 100.25, 2.5) == pytest.approx(10.75 + 3 * 11 + 2.5)


def test_minimum_of_a_job_inside_one_window_is_the_batch_time() -> None:
    assert quota_minimum(150, 200, 10.0, 100.25, 1.5) == 1.5


def test_minimum_with_a_fractional_window() -> None:
    # W = 2.5: a window starting just after a whole second R announces R + 3.
    expected = (math.ceil(7.9 + 2.5) - 7.9) + 2 * 3 + 0.1
    assert quota_minimum(80, 20, 2.5, 7.9, 0.1) == pytest.approx(expected)


def test_strict_minimum_ignores_header_rounding() -> None:
    assert strict_minimum(1000, 200, 10.0, 2, 0.02) == pytest.approx(40 + 100 * 0.02)
