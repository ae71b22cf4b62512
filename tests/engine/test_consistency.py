"""Pure parts of the listing guarantee: the seen-id set, drift signals, cursor validation."""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.consistency import (
    InvalidCursorError,
    PassWatch,
    SeenIds,
    check_policy,
)
from asyncdam.engine.errors import AsyncDamError, ConfigurationError
from asyncdam.engine.page_strategies import LinkHeaderStrategy, OffsetLimitStrategy
from asyncdam.engine.pagination import Paginator
from asyncdam.engine.request import Request, Response

pytestmark = pytest.mark.anyio


# -- SeenIds -------------------------------------------------------------------------------------


@given(st.lists(st.text(max_size=12), max_size=300), st.lists(st.text(max_size=12), max_size=50))
@settings(max_examples=60, deadline=None)
def test_seen_ids_behaves_like_a_set(added: list[str], probes: list[str]) -> None:
    seen, model = SeenIds(), set()
    for value in added:
        assert seen.add(value) == (value not in model)
        model.add(value)
    assert len(seen) == len(model)
    for value in [*added, *probes]:
        assert (value in seen) == (value in model)


def test_seen_ids_round_trips_through_json() -> None:
    seen = SeenIds()
    for i in range(5000):
        seen.add(f"key-{i}")
    restored = SeenIds.restore(json.loads(json.dumps(seen.export())))
    assert len(restored) == 5000
    assert all(f"key-{i}" in restored for i in range(5000))
    assert "key-5000" not in restored


def test_seen_ids_memory_is_a_fraction_of_a_string_set() -> None:
    seen = SeenIds()
    ids = [f"{i:032x}" for i in range(100_000)]  # Phrase-style 32-hex ids
    for value in ids:
        seen.add(value)
    per_id = seen.nbytes / len(ids)
    strings = sys.getsizeof(set(ids)) + sum(sys.getsizeof(v) for v in ids)
    assert per_id <= 24
    assert seen.nbytes * 4 < strings


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"key": "zz", "hashes": ""},
        {"key": "00", "hashes": "!!"},
        {"key": "0011", "hashes": "AAAA"},  # 3 bytes: truncated
        {"key": "0011", "hashes": "AgAAAAAAAAABAAAAAAAAAA=="},  # 2 then 1: not increasing
        {"key": "", "hashes": ""},
    ],
)
def test_bad_seen_state_is_refused(data: Any) -> None:
    with pytest.raises(InvalidCursorError):
        SeenIds.restore(data)


# -- PassWatch -----------------------------------------------------------------------------------


def test_total_change_short_and_empty_pages_are_signals() -> None:
    watch = PassWatch(mode="plain")
    assert watch.observe(0, ["a", "b"], total=6, more_expected=True) == []
    assert watch.observe(1, ["c"], total=6, more_expected=True) == ["short_page"]
    assert watch.observe(2, ["d", "e"], total=5, more_expected=False) == ["total_changed"]
    assert watch.observe(3, [], total=5, more_expected=False) == ["empty_page"]
    assert watch.observe(4, [], total=4, more_expected=False) == []  # each signal once a pass
    assert watch.drifted


def test_overlap_boundary_must_line_up() -> None:
    watch = PassWatch(mode="overlap")
    watch.observe(0, ["a", "b", "c"], total=9, more_expected=True)
    assert watch.observe(1, ["c", "d", "e"], total=9, more_expected=True) == []
    assert watch.observe(2, ["f", "g", "h"], total=9, more_expected=False) == ["boundary_mismatch"]


def test_anchor_end_check() -> None:
    watch = PassWatch(mode="anchor")
    watch.observe(0, ["a", "b"], total=5, more_expected=True)
    assert watch.needs_anchor
    assert watch.set_anchor(2, ["e"], 5) == []
    assert watch.check_end(["a", "b"], ["e"]) == []
    assert watch.check_end(["b", "c"], ["e"]) == ["anchor_moved"]
    other = PassWatch(mode="anchor")
    other.observe(0, ["a", "b"], total=5, more_expected=True)
    other.set_anchor(2, ["e"], 5)
    assert other.check_end(["a", "b"], ["f"]) == ["anchor_moved"]  # an item before e vanished


def test_watch_state_round_trips_and_refuses_nonsense() -> None:
    watch = PassWatch(mode="anchor", number=2)
    watch.observe(0, ["a", "b"], total=5, more_expected=True)
    watch.set_anchor(2, ["e"], 5)
    state = json.loads(json.dumps(watch.export()))
    assert PassWatch.restore(state, mode="anchor", max_pass=3) == watch
    for bad in (
        {**state, "pass": 9},
        {**state, "pass": -1},
        {**state, "mode": "overlap"},
        {**state, "anchor": [1, 2]},
        {**state, "signals": ["nonsense"]},
        {**state, "size": 0},
        {**state, "last_full": "yes"},
        {**state, "anchor": None, "last_index": 2},  # past page 0, no anchor
    ):
        with pytest.raises(InvalidCursorError):
            PassWatch.restore(bad, mode="anchor", max_pass=3)


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("maybe", "on_drift", 3), "consistency"),
        (("repair", "sometimes", 3), "reconcile"),
        (("repair", "on_drift", -1), "reconcile_passes"),
        (("repair", "on_drift", True), "reconcile_passes"),
        (("repair", "on_drift", 99), "reconcile_passes"),
    ],
)
def test_policy_is_checked(args: tuple[Any, ...], word: str) -> None:
    with pytest.raises(ConfigurationError, match=word):
        check_policy(*args)


# -- guarded cursors -----------------------------------------------------------------------------


ITEMS = [{"id": f"k{i}"} for i in range(23)]


async def _fetch(request: Request) -> Response:
    query = dict(request.query or {})
    if "page" in query:
        size, page = int(query["per_page"]), int(query["page"])
        start = (page - 1) * size
        pages = -(-len(ITEMS) // size)
        headers = {
            "Pagination": json.dumps(
                {"total_count": len(ITEMS), "total_pages_count": pages, "current_page": page}
            )
        }
    else:
        start, size = int(query["offset"]), int(query["limit"])
        headers = {"X-Full-Results-Count": str(len(ITEMS))}
    body = json.dumps(ITEMS[start : start + size]).encode()
    return Response(
        status=200,
        headers=httpx.Headers(headers),
        content=body,
        method="GET",
        url="https://x.test/i",
    )


def _pager(style: str, cursor: Any = None, **options: Any) -> Paginator[dict[str, str]]:
    strategy: Any = (
        LinkHeaderStrategy(per_page=5) if style == "page" else OffsetLimitStrategy(limit=5)
    )
    return Paginator(
        _fetch,
        Request(method="GET", path="/i"),
        strategy,
        lambda r: r.json(),
        fetch_ahead=2,
        cursor=cursor,
        identify=lambda item: item["id"],
        **options,
    )


async def _cursor_after(style: str, count: int, **options: Any) -> dict[str, Any]:
    pager = _pager(style)
    taken = 0
    async for _ in pager:
        taken += 1
        if taken == count:
            break
    return json.loads(json.dumps(pager.checkpoint(**options)))


@pytest.mark.parametrize("style", ["page", "offset"])
async def test_guarded_cursor_resumes_exactly(style: str) -> None:
    for count in (1, 5, 6, 12, 22, 23):
        cursor = await _cursor_after(style, count)
        rest = [item["id"] async for item in _pager(style, cursor)]
        assert rest == [f"k{i}" for i in range(count, 23)], count


@pytest.mark.parametrize("style", ["page", "offset"])
async def test_cursor_without_seen_needs_mark_seen(style: str) -> None:
    cursor = await _cursor_after(style, 7, include_seen=False)
    assert cursor["guard"]["seen"] is None
    pager = _pager(style, cursor)
    with pytest.raises(InvalidCursorError, match="mark_seen"):
        async for _ in pager:
            pass
    pager = _pager(style, cursor)
    with pytest.raises(InvalidCursorError, match="recorded 7"):
        pager.mark_seen(["k0"])
    pager = _pager(style, cursor)
    assert pager.mark_seen([f"k{i}" for i in range(7)]) == 7
    assert [item["id"] async for item in pager] == [f"k{i}" for i in range(7, 23)]


def _tamper(cursor: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(cursor))
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("index",), -1),
        (("index",), "3"),
        (("skip",), True),
        (("index",), 10**12),
        (("at", "page"), -4),
        (("at", "page"), 1),  # a position the state was not saved for
        (("guard", "handed"), 2),  # fails the integrity check
        (("guard", "watch", "pass"), 7),
        (("guard",), None),
        (("done",), "yes"),
        (("strategy",), "offset-limit"),
        (("v",), 2),
    ],
)
async def test_tampered_or_impossible_cursors_are_refused(
    path: tuple[str, ...], value: Any
) -> None:
    cursor = await _cursor_after("page", 8)
    with pytest.raises(InvalidCursorError) as info:
        _pager("page", _tamper(cursor, path, value))
    assert isinstance(info.value, AsyncDamError) and isinstance(info.value, ValueError)


async def test_cursor_moved_without_fixing_the_check_is_refused() -> None:
    cursor = await _cursor_after("offset", 8)
    moved = _tamper(cursor, ("skip",), cursor["skip"] + 1)
    with pytest.raises(InvalidCursorError, match="disagree"):
        _pager("offset", moved)


async def test_done_cursor_with_extra_fields_is_refused() -> None:
    pager = _pager("offset")
    async for _ in pager:
        pass
    done = pager.cursor
    assert done == {"v": 1, "strategy": "offset-limit", "done": True}
    assert [i async for i in _pager("offset", done)] == []
    with pytest.raises(InvalidCursorError):
        _pager("offset", {**done, "index": 3})


@pytest.mark.parametrize("style", ["page", "offset"])
async def test_resume_and_reconfigured_keep_the_listing(style: str) -> None:
    first = _pager(style)
    taken = []
    async for item in first:
        taken.append(item["id"])
        if len(taken) == 8:
            break
    rest = [item["id"] async for item in first.resume(json.loads(json.dumps(first.cursor)))]
    assert taken + rest == [f"k{i}" for i in range(23)]
    plain = first.reconfigured(consistency="off", fetch_ahead=0)
    assert [item["id"] async for item in plain] == [f"k{i}" for i in range(23)]
    with pytest.raises(ConfigurationError, match="unknown"):
        first.reconfigured(bogus=1)
