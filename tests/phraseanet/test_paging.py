"""The paging arithmetic: steps by the requested size, ends on the total, respects the window."""

from __future__ import annotations

import json

import httpx

from asyncdam.engine.request import Request, Response
from asyncdam.phraseanet.paging import PhraseanetOffsetStrategy


def reply(total: int | None) -> Response:
    body = {
        "meta": {"http_code": 200},
        "response": {} if total is None else {"total_results": total},
    }
    return Response(
        status=200,
        headers=httpx.Headers(),
        content=json.dumps(body).encode(),
        method="POST",
        url="https://h/api/v1/search/",
    )


def total(response: Response) -> int | None:
    value = response.json()["response"].get("total_results")
    return value if isinstance(value, int) else None


def pos(request: Request | None) -> tuple[int, int] | None:
    if request is None:
        return None
    data = dict(request.data or [])
    return int(data["offset_start"]), int(data["per_page"])


BASE = Request(method="POST", path="v1/search/", data=[("query", "x")])


def test_short_page_in_the_middle_neither_ends_nor_repeats() -> None:
    s = PhraseanetOffsetStrategy(size=10, total=total)
    first = s.first_request(BASE)
    assert pos(first) == (0, 10)
    # 7 of 10 hits could be loaded: the next page still starts at 10, never at 7.
    info = s.inspect(first, reply(35), 7)
    assert pos(info.next_request) == (10, 10)
    assert info.total_items == 35 and info.remaining_pages == 3
    fourth = s.skip_ahead(first, 3)
    assert pos(fourth) == (30, 10)
    assert fourth is not None
    last = s.inspect(fourth, reply(35), 5)
    assert last.next_request is None


def test_total_reached_exactly_ends() -> None:
    s = PhraseanetOffsetStrategy(size=10, total=total)
    page2 = s.skip_ahead(s.first_request(BASE), 1)
    assert page2 is not None and pos(page2) == (10, 10)
    assert s.inspect(page2, reply(20), 10).next_request is None
    assert s.inspect(s.first_request(BASE), reply(0), 0).next_request is None


def test_without_total_a_short_page_ends() -> None:
    s = PhraseanetOffsetStrategy(size=10, total=None, window=None)
    first = s.first_request(BASE)
    assert pos(s.inspect(first, reply(None), 10).next_request) == (10, 10)
    assert s.inspect(first, reply(None), 9).next_request is None


def test_index_window_shortens_the_last_page_and_stops() -> None:
    s = PhraseanetOffsetStrategy(size=300, total=total, window=1000)
    req = s.request_from_cursor(BASE, {"offset": 900, "size": 300})
    assert pos(req) == (900, 100)
    info = s.inspect(s.request_from_cursor(BASE, {"offset": 600, "size": 300}), reply(5000), 300)
    assert pos(info.next_request) == (900, 100) and info.remaining_pages == 1
    assert s.inspect(req, reply(5000), 100).next_request is None


def test_cursor_round_trip_keeps_other_fields() -> None:
    s = PhraseanetOffsetStrategy(size=50, total=total)
    req = s.skip_ahead(s.first_request(BASE), 4)
    assert req is not None
    back = s.request_from_cursor(BASE, s.cursor_for(req))
    assert pos(back) == (200, 50) and ("query", "x") in list(back.data or [])
