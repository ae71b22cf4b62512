"""OpenAsset emulator: odd input never crashes it, and the query parser reads what clients send."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import create_app
from asyncdam.emulator.openasset.query import QueryError, compile_filters, parse_query
from asyncdam.emulator.openasset.schema import NOUNS, parse_version

AUTH = {"Authorization": "OATU 1:fuzz"}
PATHS = [
    "/REST/1/Files",
    "/REST/1/Files/1",
    "/REST/1/Files/1/Keywords",
    "/REST/1/Files/1/Keywords/2",
    "/REST/1/Files/x",
    "/REST/1/Projects/1/ProjectKeywords",
    "/REST/1/Albums/1/Files",
    "/REST/1/Fields/3/FieldLookupStrings",
    "/REST/1/Searches/1/Results",
    "/REST/1/Searches/1",
    "/REST/1/Keywords/4/Files",
    "/REST/1/Keywords",
    "/REST/1/Sizes/2",
    "/REST/1/Files/1/Sizes",
    "/REST/1/Groups/1/Users",
    "/REST/1/Users/1/Groups",
    "/REST/1/a/b/c/d/e",
]
VALUES = [
    "",
    "0",
    "-1",
    "1,2",
    ">",
    ">=x",
    "!",
    "1-",
    "-",
    "all",
    "\u00e9\u00e8",
    "9" * 30,
    "*",
    ",",
]
KEYS = ["limit", "offset", "orderBy", "id", "name", "updated", "rank", "displayFields", "keywords"]
BODIES: list[object] = [
    None,
    {},
    [],
    [{}],
    [{"id": None}],
    [{"id": "abc"}],
    {"id": 1, "name": None},
    {"name": ["x"]},
    {"keywords": "no"},
    {"keywords": [{"id": "q"}]},
    {"fields": [{"id": 1, "values": "x"}]},
    {"search_items": 5},
    [1, 2, 3],
    "text",
    12,
    {"value": None, "display_order": "z"},
    [{"id": 1, "recreate": "maybe"}],
]


async def test_random_requests_never_crash() -> None:
    app = create_app(EmulatorConfig(token="1:fuzz", size=0.05, seed=9))
    rng = random.Random(1234)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=AUTH
    ) as client:
        for _ in range(400):
            method = rng.choice(["GET", "HEAD", "POST", "PUT", "DELETE", "MERGE", "OPTIONS"])
            params = {rng.choice(KEYS): rng.choice(VALUES) for _ in range(rng.randint(0, 3))}
            body = rng.choice(BODIES)
            content = b"" if body is None else json.dumps(body).encode()
            if rng.random() < 0.1:
                content = b"{garbage"
            r = await client.request(method, rng.choice(PATHS), params=params, content=content)
            assert r.status_code < 500, (method, r.request.url, content, r.text)
            if r.status_code >= 400 and method != "HEAD":
                err = r.json()
                assert set(err) >= {"error_message", "http_status_code"}
                assert err["http_status_code"] == str(r.status_code)
    assert app.state.stats.internal_errors == 0


def test_parse_order_and_paging() -> None:
    fields = NOUNS["Files"].fields
    q = parse_query(
        [("orderBy", "rankDesc,id,captionAsc"), ("limit", "25"), ("offset", "50")], fields
    )
    assert q.order == (("rank", True), ("id", False), ("caption", False))
    assert (q.limit, q.offset) == (25, 50)
    assert parse_query([], fields).limit == 10
    with pytest.raises(QueryError):
        parse_query([("orderBy", "rankdesc")], fields)


def test_filter_operators() -> None:
    fields = NOUNS["Files"].fields
    rows: list[dict[str, Any]] = [
        {"id": i, "rank": i % 5, "caption": f"Photo {i}", "updated": f"2020010{i % 9}000000"}
        for i in range(1, 30)
    ]

    def ids(*params: tuple[str, str]) -> list[int]:
        predicate = compile_filters(parse_query(list(params), fields), lambda r, n: r.get(n))
        return [r["id"] for r in rows if predicate(r)]

    assert ids(("id", "3,5"), ("rank", "!0")) == [3]
    assert ids(("id", "10-12")) == [10, 11, 12]
    assert ids(("id", "<3")) == [1, 2]
    assert ids(("caption", "photo 2"), ("textMatching", "exact")) == [2]
    assert ids(("caption", "Photo 2")) == [2, *range(20, 30)]
    assert ids(("caption", "Photo 2*"), ("textMatching", "wildcard")) == [2, *range(20, 30)]
    assert ids(("updated", "<=20200102000000"), ("id", "<12")) == [1, 2, 9, 10, 11]
    assert ids(("caption[]", "Photo 7"), ("textMatching", "exact")) == [7]
    with pytest.raises(QueryError):
        ids(("rank", ">high"))


def test_version_parsing() -> None:
    assert parse_version("10.3.12h") == (10, 3, 12)
    assert parse_version("8.1.11") > parse_version("8.1.7")
    assert parse_version("9") < parse_version("9.0.1")
