"""Pure page strategies against handcrafted responses: no network, no event loop."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from asyncdam.engine.page_strategies import (
    BodyOffsetStrategy,
    LinkHeaderStrategy,
    OffsetLimitStrategy,
    PageNumberStrategy,
    PageStrategy,
    header_total,
    parse_link_header,
)
from asyncdam.engine.request import Request, Response

API = "https://api.example.test/v2/projects/p1/keys"


def response(headers: dict[str, str] | None = None, body: Any = None) -> Response:
    return Response(
        status=200,
        headers=httpx.Headers(headers or {}),
        content=json.dumps(body if body is not None else []).encode(),
        method="GET",
        url=API,
    )


def base(**query: Any) -> Request:
    return Request(method="GET", path="/projects/{id}/keys", path_params={"id": "p1"}, query=query)


def q(request: Request | None) -> dict[str, Any]:
    assert request is not None
    assert isinstance(request.query, dict)
    return dict(request.query)


# -- Link header parsing -------------------------------------------------------------------------


def test_link_unquoted_rels_any_order() -> None:
    value = f"<{API}?page=1>; rel=first, <{API}?page=3>; rel=last, <{API}?page=2>; rel=next"
    assert parse_link_header(value) == {
        "first": f"{API}?page=1",
        "last": f"{API}?page=3",
        "next": f"{API}?page=2",
    }


def test_link_quoted_and_multi_value_rels() -> None:
    value = f'<{API}?page=5&q=a,b>;rel="next" , <{API}?page=1>; title="x"; rel="first prev"'
    links = parse_link_header(value)
    assert links["next"] == f"{API}?page=5&q=a,b"
    assert links["first"] == links["prev"] == f"{API}?page=1"


@pytest.mark.parametrize("value", [None, "", "garbage", "<x>", "<x>; title=next"])
def test_link_without_rels(value: str | None) -> None:
    assert parse_link_header(value) == {}


# -- LinkHeaderStrategy --------------------------------------------------------------------------


@pytest.mark.parametrize("quote", ['"', ""])
def test_link_next_keeps_original_filters(quote: str) -> None:
    strategy = LinkHeaderStrategy(per_page=100)
    first = strategy.first_request(base(q="tags:web", branch="b1"))
    assert q(first) == {"q": "tags:web", "branch": "b1", "page": 1, "per_page": 100}
    # The link drops per_page and carries a stray filter: only its page number is used.
    link = f"<{API}?page=7&q=evil>; rel={quote}next{quote}, <{API}?page=9>; rel={quote}last{quote}"
    info = strategy.inspect(first, response({"Link": link}), 100)
    assert q(info.next_request) == {"q": "tags:web", "branch": "b1", "page": 7, "per_page": 100}
    assert info.remaining_pages is None


def test_link_last_page_has_no_next() -> None:
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base(page=3, per_page=25))
    link = f"<{API}?page=1>; rel=first, <{API}?page=2>; rel=prev, <{API}?page=3>; rel=last"
    info = strategy.inspect(request, response({"Link": link}), 25)
    assert info.next_request is None


def test_link_next_without_page_number_steps_by_one() -> None:
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base(page=4))
    info = strategy.inspect(request, response({"Link": f"<{API}?cursor=zz>; rel=next"}), 10)
    assert q(info.next_request)["page"] == 5


def test_link_empty_page_stops_even_with_next() -> None:
    strategy = LinkHeaderStrategy()
    info = strategy.inspect(
        strategy.first_request(base()), response({"Link": f"<{API}?page=2>; rel=next"}), 0
    )
    assert info.next_request is None


def test_pagination_header_gives_totals() -> None:
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base(per_page=25))
    meta = {
        "total_count": 59,
        "total_pages_count": 3,
        "current_page": 1,
        "current_per_page": 25,
        "previous_page": None,
        "next_page": 2,
    }
    info = strategy.inspect(request, response({"Pagination": json.dumps(meta)}), 25)
    assert info.total_items == 59
    assert info.remaining_pages == 2
    assert q(info.next_request)["page"] == 2
    last = strategy.inspect(
        request.evolve(query={**q(request), "page": 3}),
        response({"Pagination": json.dumps({**meta, "current_page": 3, "next_page": None})}),
        9,
    )
    assert last.next_request is None
    assert last.remaining_pages == 0


def test_pagination_total_without_page_count_uses_server_page_size() -> None:
    # per_page=500 was clamped to 100 by the server: a 100-item page is not the last one.
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base(per_page=500))
    meta = {"total_count": 250, "current_page": 1, "current_per_page": 100}
    info = strategy.inspect(request, response({"Pagination": json.dumps(meta)}), 100)
    assert info.remaining_pages == 2
    assert q(info.next_request) == {"page": 2, "per_page": 500}


def test_pagination_next_page_only() -> None:
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base())
    meta = json.dumps({"next_page": 4, "previous_page": 2})
    assert q(strategy.inspect(request, response({"Pagination": meta}), 10).next_request) == {
        "page": 4
    }
    meta = json.dumps({"next_page": None})
    assert strategy.inspect(request, response({"Pagination": meta}), 10).next_request is None


@pytest.mark.parametrize("bad", ["not json", "[1,2]", '"x"', '{"total_count": "many"}'])
def test_garbled_pagination_header_is_ignored(bad: str) -> None:
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base(per_page=10))
    info = strategy.inspect(request, response({"Pagination": bad}), 10)
    assert q(info.next_request)["page"] == 2
    assert info.total_items is None


def test_no_headers_pages_until_short_page() -> None:
    strategy = LinkHeaderStrategy()
    request = strategy.first_request(base(per_page=10))
    assert q(strategy.inspect(request, response(), 10).next_request)["page"] == 2
    assert strategy.inspect(request, response(), 9).next_request is None
    assert strategy.inspect(request, response(), 0).next_request is None


def test_no_headers_respects_server_clamp() -> None:
    strategy = LinkHeaderStrategy(max_per_page=100)
    request = strategy.first_request(base(per_page=500))
    assert strategy.inspect(request, response(), 100).next_request is not None
    assert strategy.inspect(request, response(), 99).next_request is None


# -- PageNumberStrategy --------------------------------------------------------------------------


def test_page_number_total_from_header() -> None:
    strategy = PageNumberStrategy(per_page=10, total=header_total("X-Total"))
    first = strategy.first_request(base())
    info = strategy.inspect(first, response({"X-Total": "35"}), 10)
    assert (info.total_items, info.remaining_pages) == (35, 3)
    assert q(strategy.skip_ahead(first, 2)) == {"page": 3, "per_page": 10}
    last = strategy.inspect(q_request(first, page=4), response({"X-Total": "35"}), 5)
    assert last.next_request is None


def q_request(request: Request, **changes: Any) -> Request:
    return request.evolve(query={**q(request), **changes})


def test_page_number_total_from_body_and_zero_based() -> None:
    strategy = PageNumberStrategy(
        first_page=0, per_page=2, total=lambda r: r.json()["meta"]["total"]
    )
    first = strategy.first_request(base())
    assert q(first) == {"page": 0, "per_page": 2}
    info = strategy.inspect(first, response(body={"meta": {"total": 5}}), 2)
    assert info.remaining_pages == 2
    assert q(info.next_request)["page"] == 1


def test_page_number_in_json_body() -> None:
    strategy = PageNumberStrategy(per_page=100, location="json")
    request = Request(method="POST", path="/search/in_account", json={"query": "x"})
    first = strategy.first_request(request)
    assert first.json == {"query": "x", "page": 1, "per_page": 100}
    assert request.json == {"query": "x"}  # the base request is not mutated
    following = strategy.inspect(first, response(), 100).next_request
    assert following is not None
    assert following.json == {"query": "x", "page": 2, "per_page": 100}


def test_page_number_in_form_pairs() -> None:
    strategy = PageNumberStrategy(location="data")
    request = Request(method="POST", path="/s", data=[("bases[]", 1), ("bases[]", 2)])
    first = strategy.first_request(
        request.evolve(data=[("bases[]", 1), ("bases[]", 2), ("page", 3)])
    )
    assert list(first.data or []) == [("bases[]", 1), ("bases[]", 2), ("page", 3)]
    assert strategy.cursor_for(first) == {"page": 3, "per_page": None}


# -- offset strategies ---------------------------------------------------------------------------


def test_offset_limit_defaults_and_totals() -> None:
    strategy = OffsetLimitStrategy(limit=50)
    first = strategy.first_request(base(orderBy="id"))
    assert q(first) == {"orderBy": "id", "offset": 0, "limit": 50}
    info = strategy.inspect(first, response({"X-Full-Results-Count": "120"}), 50)
    assert (info.total_items, info.remaining_pages) == (120, 2)
    assert q(info.next_request)["offset"] == 50
    assert q(strategy.skip_ahead(first, 2))["offset"] == 100
    end = strategy.inspect(
        q_request(first, offset=100), response({"X-Full-Results-Count": "120"}), 20
    )
    assert end.next_request is None


def test_offset_clamped_page_advances_by_items_received() -> None:
    strategy = OffsetLimitStrategy()
    first = strategy.first_request(base(limit=500))
    info = strategy.inspect(first, response({"X-Full-Results-Count": "1000"}), 200)
    assert q(info.next_request)["offset"] == 200
    assert info.remaining_pages is None  # the page size is unproven: no fetch-ahead


def test_offset_without_total_stops_on_short_page() -> None:
    strategy = OffsetLimitStrategy(limit=10)
    first = strategy.first_request(base())
    assert q(strategy.inspect(first, response(), 10).next_request)["offset"] == 10
    assert strategy.inspect(first, response(), 3).next_request is None
    assert strategy.inspect(first, response(), 0).next_request is None


def test_offset_limit_zero_means_one_page() -> None:
    strategy = OffsetLimitStrategy()
    first = strategy.first_request(base(limit=0))
    info = strategy.inspect(first, response({"X-Full-Results-Count": "5000"}), 5000)
    assert info.next_request is None
    assert strategy.skip_ahead(first, 1) is None


def test_offset_without_known_size_cannot_skip() -> None:
    strategy = OffsetLimitStrategy()
    first = strategy.first_request(base())
    assert strategy.skip_ahead(first, 1) is None
    assert q(strategy.inspect(first, response(), 10).next_request)["offset"] == 10


def test_body_offset_reads_total_from_body() -> None:
    strategy = BodyOffsetStrategy(
        limit=20, total=lambda r: int(r.json()["response"]["total_results"])
    )
    first = strategy.first_request(base(query="dog"))
    assert q(first) == {"query": "dog", "offset_start": 0, "per_page": 20}
    body = {"meta": {}, "response": {"total_results": 45, "results": {}}}
    info = strategy.inspect(first, response(body=body), 20)
    assert (info.total_items, info.remaining_pages) == (45, 2)
    assert q(info.next_request)["offset_start"] == 20


def test_body_offset_requires_a_total_reader() -> None:
    with pytest.raises(ValueError, match="total"):
        BodyOffsetStrategy()


# -- cursors -------------------------------------------------------------------------------------

STRATEGIES: list[PageStrategy] = [
    LinkHeaderStrategy(per_page=10),
    PageNumberStrategy(per_page=10),
    OffsetLimitStrategy(limit=10),
    BodyOffsetStrategy(limit=10, total=lambda r: None),
]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.name)
def test_cursor_round_trip(strategy: PageStrategy) -> None:
    start = strategy.first_request(
        base(q="x", per_page=10) if "page" in strategy.name else base(q="x")
    )
    later = strategy.skip_ahead(start, 3)
    assert later is not None
    position = json.loads(json.dumps(strategy.cursor_for(later)))
    restored = strategy.request_from_cursor(base(q="x"), position)
    assert strategy.cursor_for(restored) == strategy.cursor_for(later)
    assert q(restored)["q"] == "x"


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.name)
def test_cursor_position_garbage_rejected(strategy: PageStrategy) -> None:
    with pytest.raises(ValueError):
        strategy.request_from_cursor(base(), {"page": -1, "offset": "x"})
