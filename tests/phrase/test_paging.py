"""List paging through Link (quoted or not) and Pagination headers, keeping per_page and filters."""

from __future__ import annotations

import json
from typing import Any

import httpx

from asyncdam.phrase import Phrase


def _page(request: httpx.Request, total: int, style: str) -> httpx.Response:
    page = int(request.url.params.get("page", "1"))
    size = int(request.url.params["per_page"])
    start = (page - 1) * size
    items = [{"id": f"k{i}"} for i in range(start, min(start + size, total))]
    headers = {}
    last = -(-total // size)
    if style == "link-quoted" and page < last:
        headers["Link"] = (
            f'<https://api.phrase.com/v2/projects/p1/keys?page={page + 1}>; rel="next"'
        )
    if style == "link-bare" and page < last:
        headers["Link"] = (
            f"<https://api.phrase.com/v2/projects/p1/keys?page=1>; rel=first, "
            f"<https://api.phrase.com/v2/projects/p1/keys?page={page + 1}>; rel=next"
        )
    if style == "pagination":
        headers["Pagination"] = json.dumps(
            {
                "total_count": total,
                "total_pages_count": last,
                "current_page": page,
                "current_per_page": size,
                "previous_page": page - 1 or None,
                "next_page": page + 1 if page < last else None,
            }
        )
    return httpx.Response(200, json=items, headers=headers)


async def _run(phrase: Phrase, mock: Any, style: str) -> tuple[list[str], list[httpx.Request]]:
    route = mock.get("/projects/p1/keys").mock(side_effect=lambda r: _page(r, 5, style))
    keys = [k.id async for k in phrase.keys.list("p1", per_page=2, q="tags:web", branch="b")]
    return [k or "" for k in keys], [c.request for c in route.calls]


async def test_link_quoted(phrase: Phrase, mock: Any) -> None:
    ids, requests = await _run(phrase, mock, "link-quoted")
    assert ids == [f"k{i}" for i in range(5)]
    for request in requests:
        assert request.url.params["per_page"] == "2"
        assert request.url.params["q"] == "tags:web"
        assert request.url.params["branch"] == "b"


async def test_link_unquoted(phrase: Phrase, mock: Any) -> None:
    ids, requests = await _run(phrase, mock, "link-bare")
    assert ids == [f"k{i}" for i in range(5)]
    assert sorted(r.url.params["page"] for r in requests) == ["1", "2", "3"]


async def test_pagination_header_total(phrase: Phrase, mock: Any) -> None:
    mock.get("/projects/p1/keys").mock(side_effect=lambda r: _page(r, 5, "pagination"))
    paginator = phrase.keys.list("p1", per_page=2)
    ids = [k.id async for k in paginator]
    assert ids == [f"k{i}" for i in range(5)]
    assert paginator.total == 5


async def test_default_page_size_is_100(phrase: Phrase, mock: Any) -> None:
    route = mock.get("/projects/p1/locales").respond(200, json=[{"id": "l1"}])
    assert [loc.id async for loc in phrase.locales.list("p1")] == ["l1"]
    assert route.calls.last.request.url.params["per_page"] == "100"


async def test_account_search_pages_in_the_body(phrase: Phrase, mock: Any) -> None:
    # The spec types the answer as one object, but the route pages up to 10,000 results with
    # page/per_page in the JSON body and a Pagination header: it is read as a listing.
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        page, size = body["page"], body["per_page"]
        results = [{"query": "x", "excerpt": f"r{i}"} for i in range(5)]
        last = -(-len(results) // size)
        header = {
            "total_count": len(results),
            "total_pages_count": last,
            "current_page": page,
            "current_per_page": size,
            "previous_page": page - 1 or None,
            "next_page": page + 1 if page < last else None,
        }
        chunk = results[(page - 1) * size : page * size]
        return httpx.Response(200, json=chunk, headers={"Pagination": json.dumps(header)})

    route = mock.post("/accounts/a1/search").mock(side_effect=answer)
    found = phrase.search.in_account("a1", query="x", locale_code="en", per_page=2)
    assert [r.excerpt async for r in found] == [f"r{i}" for i in range(5)]
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert sorted(b["page"] for b in bodies) == [1, 2, 3]
    assert all(b["query"] == "x" and b["locale_code"] == "en" for b in bodies)
    assert all(b["per_page"] == 2 for b in bodies)
