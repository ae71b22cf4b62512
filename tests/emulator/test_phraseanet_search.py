"""Phraseanet emulator: v1/v2/v3 search parameters, counters and paging to the end."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import create_app

TOKEN = "search-token"
AUTH = {"Authorization": f"OAuth {TOKEN}"}


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(EmulatorConfig(seed=11, token=TOKEN))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=AUTH
    ) as c:
        yield c


def readable_records(app: Starlette) -> set[tuple[int, int]]:
    store = app.state.store
    ok = {c.base_id for c in store.collections.values() if c.access}
    return {r.key for r in store.records.values() if r.base_id in ok and not r.is_story}


async def test_v1_defaults_and_counters(client: httpx.AsyncClient, app: Starlette) -> None:
    r = await client.get("/api/v1/search/")
    assert r.status_code == 200
    body = r.json()["response"]
    assert body["offset_start"] == 0 and body["per_page"] == 10
    assert body["available_results"] == 10
    assert body["total_results"] == len(readable_records(app))
    assert body["error"] == "" and body["warning"] == ""
    assert isinstance(body["query_time"], int)
    assert set(body["results"]) == {"stories", "records"}
    assert body["results"]["stories"] == [] and len(body["results"]["records"]) == 10


async def test_v1_per_page_zero_means_ten(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/search/", params={"per_page": "0"})).json()["response"]
    assert body["per_page"] == 10 and body["available_results"] == 10


async def test_v1_no_per_page_clamp(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search/", params={"per_page": "1500"})
    body = r.json()["response"]
    assert body["per_page"] == 1500 and body["available_results"] == 1500


async def test_v1_reads_form_and_ignores_json(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/search/", data={"per_page": "4", "query": "dog"})
    body = r.json()["response"]
    assert body["per_page"] == 4 and body["query"] == "dog"
    r = await client.post("/api/v1/search/", json={"per_page": 4})
    assert r.json()["response"]["per_page"] == 10


async def test_v1_query_filters(client: httpx.AsyncClient, app: Starlette) -> None:
    body = (await client.get("/api/v1/search/", params={"query": "dog", "per_page": "500"})).json()
    records = body["response"]["results"]["records"]
    assert records and body["response"]["total_results"] < len(readable_records(app))
    store = app.state.store
    for rec in records:
        stored = store.records[(rec["databox_id"], rec["record_id"])]
        text = (stored.title + " ".join(v for _, v in stored.metas.values())).lower()
        assert "dog" in text


async def test_v1_bases_bracket_array(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search/?bases[]=1&bases[]=4&per_page=200")
    records = r.json()["response"]["results"]["records"]
    assert {rec["base_id"] for rec in records} <= {1, 4}
    # A scalar where an array is expected is ignored: everything is searched.
    r = await client.get("/api/v1/search/?bases=1&per_page=300")
    assert {rec["base_id"] for rec in r.json()["response"]["results"]["records"]} - {1}


async def test_v1_disjoint_bases_is_400(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search/?bases[]=5&bases[]=6")
    assert r.status_code == 400
    assert r.json()["meta"]["error_details"] == "No collections match your criteria"


@pytest.mark.parametrize("params", [{"offset_start": "-1"}, {"offset_start": "499999"}])
async def test_v1_engine_failures(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get("/api/v1/search/", params={**params, "per_page": "10"})
    assert r.status_code == 500
    assert r.json()["meta"]["error_type"] == "Internal Server Error"


async def test_v1_stories(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/search/", params={"search_type": "1", "per_page": "5"})
    results = r.json()["response"]["results"]
    assert results["records"] == [] and results["stories"]
    story = results["stories"][0]
    assert story["@entity@"].endswith("/story") and story["records"]
    assert story["created_on"] == story["updated_on"]


async def test_records_search_lists_records(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/records/search/", data={"query": "all", "per_page": "3"})
    results = r.json()["response"]["results"]
    assert isinstance(results, list) and len(results) == 3


async def _page_through(client: httpx.AsyncClient, path: str, per_page: int) -> list[Any]:
    seen: list[Any] = []
    offset = 0
    total = None
    while True:
        r = await client.get(path, params={"offset_start": offset, "per_page": per_page})
        body = r.json()["response"]
        total = body["total_results"]
        page = body["results"]["records"] if isinstance(body["results"], dict) else body["results"]
        assert body["available_results"] == len(page)
        seen += [(p["databox_id"], p["record_id"]) for p in page]
        offset += per_page
        if len(page) < per_page or offset >= total:
            break
    assert len(seen) == total
    return seen


async def test_full_search_yields_each_record_once(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    seen = await _page_through(client, "/api/v1/search/", 97)
    assert len(seen) == len(set(seen))
    assert set(seen) == readable_records(app)
    assert len(seen) > 2000


async def test_v2_light_search(client: httpx.AsyncClient, app: Starlette) -> None:
    r = await client.get("/api/v2/search/", params={"per_page": "5"})
    body = r.json()["response"]
    assert body["search_type"] == 0 and body["available_results"] == 5
    item = body["results"][0]
    assert set(item) == {"databox_id", "record_id", "collection_id", "version"}
    stored = app.state.store.records[(item["databox_id"], item["record_id"])]
    assert item["version"] == stored.updated_on
    seen = await _page_through(client, "/api/v2/search/", 250)
    assert set(seen) == readable_records(app)


async def test_v3_page_offset_cursor(client: httpx.AsyncClient) -> None:
    a = (await client.get("/api/v3/search/", params={"page": "2", "per_page": "7"})).json()
    assert a["meta"]["api_version"] == "3.0.0"
    body = a["response"]
    assert body["offset"] == 7 and body["limit"] == 7 and body["count"] == 7
    assert {"query", "total", "error", "warning", "query_time", "search_indexes"} <= set(body)
    b = (await client.get("/api/v3/search/", params={"offset": "7", "limit": "7"})).json()
    cursor = base64.b64encode(b"7").decode()
    c = (await client.get("/api/v3/search/", params={"cursor": cursor, "limit": "7"})).json()
    ids = [[r["record_id"] for r in x["response"]["results"]["records"]] for x in (a, b, c)]
    assert ids[0] == ids[1] == ids[2]
    d = (await client.get("/api/v3/search/")).json()["response"]
    assert d["offset"] == 0 and d["limit"] == 10


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"per_page": "101"},
        {"limit": "0"},
        {"limit": "101"},
        {"offset": "-1"},
        {"page": "1", "offset": "0"},
        {"offset": "1", "cursor": "MQ=="},
        {"cursor": "%%%"},
    ],
)
async def test_v3_bad_paging_is_500(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get("/api/v3/search/", params=params)
    assert r.status_code == 500
    assert r.json()["meta"]["api_version"] == "3.0.0"


async def test_v3_stories_and_includes(client: httpx.AsyncClient) -> None:
    params = {"search_type": "1", "limit": "3", "include[]": ["facets", "results.stories.children"]}
    body = (await client.get("/api/v3/search/", params=params)).json()["response"]
    assert "facets" in body
    story = body["results"]["stories"][0]
    assert story["children_limit"] == 10
    assert story["children_count"] == len(story["children"]) <= story["children_total"]


async def test_v3_searchraw(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v3/searchraw/", params={"limit": "4"})).json()["response"]
    assert body["count"] == 4 and len(body["results"]) == 4 and body["limit"] == 4
    assert (await client.get("/api/v1/searchraw/")).status_code == 404
