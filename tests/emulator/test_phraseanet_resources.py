"""Phraseanet emulator: records, stories, baskets, feeds, quarantine, uploads, files, limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.phraseanet import create_app

TOKEN = "res-token"
AUTH = {"Authorization": f"OAuth {TOKEN}"}


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(seed=5, token=TOKEN, size=0.1))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=AUTH
    ) as c:
        yield c


def resp(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["response"]


def first(app: Starlette, base_id: int, story: bool = False) -> tuple[int, int]:
    key: tuple[int, int] = next(
        r.key
        for r in app.state.store.records.values()
        if r.base_id == base_id and r.is_story == story
    )
    return key


# -- structures and the keyed-object switch (checklist 20) --


async def test_databoxes_collections_structures(client: httpx.AsyncClient) -> None:
    dbs = resp(await client.get("/api/v1/databoxes/list/"))["databoxes"]
    assert set(dbs) == {"1", "2", "3"} and dbs["1"]["databox_id"] == 1
    assert set(dbs["1"]["labels"]) == {"en", "de", "fr", "nl"}
    colls = resp(await client.get("/api/v1/databoxes/1/collections/"))["collections"]
    assert set(colls) == {"1", "2", "3"}
    assert colls["2"]["collection_id"] == 2 and colls["3"]["order_managers"] == []
    assert [u["login"] for u in colls["2"]["order_managers"]] == ["emulator"]
    fields = resp(await client.get("/api/v1/databoxes/1/metadatas/"))["document_metadatas"]
    assert fields["2"]["multivalue"] is True
    status = resp(await client.get("/api/v1/databoxes/1/status/"))["status"]
    assert [s["bit"] for s in status] == [4, 5, 6]
    terms = resp(await client.get("/api/v1/databoxes/1/termsOfUse/"))["termsOfUse"]
    assert {t["locale"] for t in terms} == {"en", "fr"}
    assert resp(await client.get("/api/v1/collections/4/"))["collection"]["databox_id"] == 2


async def test_list_shaped_switch(app: Starlette, client: httpx.AsyncClient) -> None:
    app.state.keyed_objects = False
    dbs = resp(await client.get("/api/v1/databoxes/list/"))["databoxes"]
    assert isinstance(dbs, list) and dbs[0]["databox_id"] == 1
    colls = resp(await client.get("/api/v1/databoxes/1/collections/"))["collections"]
    assert isinstance(colls, list)


# -- permissions (checklist 12) --


async def test_not_allowed_is_401_envelope(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 5)
    d3, r3 = first(app, 3)
    denied = await client.post(f"/api/v1/records/{d3}/{r3}/setstatus/", data={"status[4]": "1"})
    assert denied.status_code == 401
    assert denied.json()["meta"]["error_details"] == "You are not authorized"
    for path in (
        f"/api/v1/records/{d}/{r}/",
        "/api/v1/databoxes/2/status/",
        "/api/v1/databoxes/3/collections/",
        "/api/v1/collections/6/",
        "/api/v1/monitor/tasks/",
    ):
        res = await client.get(path)
        assert res.status_code == 401, path
        assert res.json()["meta"]["error_details"] == "You are not authorized"


async def test_forbidden_is_403_envelope(client: httpx.AsyncClient, app: Starlette) -> None:
    other_basket = next(b for b in app.state.store.baskets.values() if b.owner_id != 1)
    other_item = next(q for q in app.state.store.quarantine.values() if q.usr_id != 1)
    hidden_entry = app.state.store.feeds[3].entries[0]
    for path in (
        f"/api/v1/baskets/{other_basket.basket_id}/content/",
        f"/api/v1/quarantine/item/{other_item.id}/",
        f"/api/v1/feeds/entry/{hidden_entry}/",
    ):
        res = await client.get(path)
        assert res.status_code == 403, path
        assert res.json()["meta"]["error_type"] == "Forbidden"
    files = {"file": ("a.jpg", b"x")}
    r = await client.post("/api/v1/records/add/", data={"base_id": "3"}, files=files)
    assert r.status_code == 403


# -- records --


async def test_record_shape_and_parts(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    rec = resp(await client.get(f"/api/v1/records/{d}/{r}/"))["record"]
    assert rec["record_id"] == r and rec["resource_id"].endswith(f"_{d}_{r}")
    assert rec["thumbnail"]["name"] == "thumbnail" and "subdefs" not in rec
    caption = resp(await client.get(f"/api/v1/records/{d}/{r}/caption/"))["caption_metadatas"]
    keywords = next(c for c in caption if c["name"] == "Keywords")
    assert keywords["value"].count(" ; ") == 2
    assert all(c["name"] != "Credit" for c in caption)
    metas = resp(await client.get(f"/api/v1/records/{d}/{r}/metadatas/"))["record_metadatas"]
    assert sum(1 for m in metas if m["name"] == "Keywords") == 3
    status = resp(await client.get(f"/api/v1/records/{d}/{r}/status/"))["status"]
    assert [s["bit"] for s in status] == [4, 5, 6]
    embed = resp(await client.get(f"/api/v1/records/{d}/{r}/embed/?devices[]=screen"))["embed"]
    assert {s["name"] for s in embed} == {"preview", "thumbnail"}
    related = resp(await client.get(f"/api/v1/records/{d}/{r}/related/"))
    assert set(related) == {"baskets", "stories"}
    ext = {"Accept": "application/vnd.phraseanet.record-extended+json"}
    rec = resp(await client.get(f"/api/v1/records/{d}/{r}/", headers=ext))["record"]
    assert {"subdefs", "metadata", "status", "caption"} <= set(rec)


async def test_subdef_urls_serve_bytes(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    embed = resp(await client.get(f"/api/v1/records/{d}/{r}/embed/"))["embed"]
    doc = next(s for s in embed if s["name"] == "document")
    got = await client.get(doc["url"])
    assert got.status_code == 200 and len(got.content) == doc["filesize"]
    again = await client.get(doc["url"], headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
    perma = await client.get(doc["permalink"]["download_url"])
    assert perma.content == got.content and "attachment" in perma.headers["content-disposition"]
    bad = doc["permalink"]["url"].split("?token=")[0] + "?token=wrong"
    assert (await client.get(bad)).status_code == 403
    ttl = resp(await client.get(f"/api/v1/records/{d}/{r}/embed/?subdef_url_ttl=-5"))["embed"]
    assert ttl[0]["url_ttl"] == -1


async def test_setmetadatas(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    path = f"/api/v1/records/{d}/{r}/"
    metas = resp(await client.get(path + "metadatas/"))["record_metadatas"]
    kw = next(m for m in metas if m["name"] == "Keywords")
    form = {
        "metadatas[0][meta_struct_id]": "2",
        "metadatas[0][meta_id]": "",
        "metadatas[0][value]": "zebra",
        "metadatas[1][meta_struct_id]": "2",
        "metadatas[1][meta_id]": str(kw["meta_id"]),
        "metadatas[1][value]": "",
    }
    out = resp(await client.post(path + "setmetadatas/", data=form))["record_metadatas"]
    values = [m["value"] for m in out if m["name"] == "Keywords"]
    assert "zebra" in values and kw["value"] not in values
    r400 = await client.post(path + "setmetadatas/", data={"metadatas": "x"})
    assert r400.status_code == 400


async def test_setstatus(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    path = f"/api/v1/records/{d}/{r}/setstatus/"
    out = resp(await client.post(path, data={"status[5]": "1", "status[4]": "0"}))["status"]
    assert {s["bit"]: s["state"] for s in out} == {4: False, 5: True, 6: False} | {
        6: app.state.store.records[(d, r)].status >> 6 & 1 == 1
    }
    for bad in ({"status[3]": "1"}, {"status[7]": "1"}, {"status[4]": "yes"}, {"status": "1"}):
        assert (await client.post(path, data=bad)).status_code == 400, bad


async def test_search_sees_writes(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    params = {"query": "zzyzx", "bases[]": "1"}
    assert (await client.get("/api/v1/search/", params=params)).json()["response"][
        "total_results"
    ] == 0
    form = {"metadatas[0][meta_struct_id]": "3", "metadatas[0][value]": "zzyzx"}
    await client.post(f"/api/v1/records/{d}/{r}/setmetadatas/", data=form)
    found = (await client.get("/api/v1/search/", params=params)).json()["response"]
    assert found["total_results"] == 1
    assert found["results"]["records"][0]["record_id"] == r


async def test_setcollection_and_delete(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    path = f"/api/v1/records/{d}/{r}/"
    moved = resp(await client.post(path + "setcollection/", data={"base_id": "2"}))["record"]
    assert moved["base_id"] == 2 and moved["collection_id"] == 2
    assert (await client.post(path + "setcollection/", data={"base_id": "4"})).status_code == 400
    assert resp(await client.delete(path)) == {}
    assert (await client.get(path)).status_code == 404


# -- stories (checklist 19) --


async def test_stories(client: httpx.AsyncClient, app: Starlette) -> None:
    d, s = first(app, 1, story=True)
    story = resp(await client.get(f"/api/v1/stories/{d}/{s}/"))["story"]
    assert story["story_id"] == s and story["records"]
    assert "dc:title" in story["metadatas"]
    assert resp(await client.get(f"/api/v1/stories/{d}/{s}/embed/"))["embed"]
    d2, r2 = first(app, 2)
    body = {"story_records": [{"databox_id": d2, "record_id": r2}]}
    added = resp(await client.post(f"/api/v1/stories/{d}/{s}/addrecords", json=body))
    assert added == {"records": [f"{d2}_{r2}"]}
    cover = resp(await client.post(f"/api/v1/stories/{d}/{s}/setcover", json={"record_id": r2}))
    assert cover == [f"{d2}_{r2}"]
    removed = await client.request("DELETE", f"/api/v1/stories/{d}/{s}/delrecords", json=body)
    assert resp(removed) == {"records": [f"{d2}_{r2}"]}
    d4, r4 = first(app, 4)
    other = {"story_records": [{"databox_id": d4, "record_id": r4}]}
    r = await client.post(f"/api/v1/stories/{d}/{s}/addrecords", json=other)
    assert r.status_code == 500


async def test_story_json_rules(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    spec = {
        "stories": [
            {"base_id": 1, "title": "Made", "story_records": [{"databox_id": d, "record_id": r}]}
        ]
    }
    created = resp(await client.post("/api/v1/stories", json=spec))["stories"]
    assert len(created) == 1 and created[0].startswith("/stories/1/")
    r406 = await client.post("/api/v1/stories", data={"stories": "x"})
    assert r406.status_code == 406
    r422 = await client.post(
        "/api/v1/stories", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert r422.status_code == 422
    assert (await client.post("/api/v1/stories", json={"nope": 1})).status_code == 400


# -- baskets, feeds, quarantine (checklist 16) --


async def test_baskets(client: httpx.AsyncClient) -> None:
    before = resp(await client.get("/api/v1/baskets/list/"))["baskets"]
    assert (await client.post("/api/v1/baskets/add/", data={"name": " "})).status_code == 400
    made = resp(await client.post("/api/v1/baskets/add/", data={"name": "Mine"}))["basket"]
    bid = made["basket_id"]
    assert made["description"] == "" and made["pusher"] is None
    named = resp(await client.post(f"/api/v1/baskets/{bid}/setname/", data={"name": "Renamed"}))
    assert named["basket"]["name"] == "Renamed"
    content = resp(await client.get(f"/api/v1/baskets/{before[0]['basket_id']}/content/"))
    assert content["basket_elements"][0]["record"]["record_id"] > 0
    left = resp(await client.post(f"/api/v1/baskets/{bid}/delete/"))["baskets"]
    assert [b["basket_id"] for b in left] == [b["basket_id"] for b in before]


async def test_feeds(client: httpx.AsyncClient) -> None:
    feeds = resp(await client.get("/api/v1/feeds/list/"))["feeds"]
    assert {f["id"] for f in feeds} == {1, 2} and isinstance(feeds[0]["icon"], bool)
    agg = resp(await client.get("/api/v1/feeds/content/"))
    assert agg["per_page"] == 5 and len(agg["entries"]) == 5
    assert resp(await client.get("/api/v1/feeds/content/?per_page=50"))["per_page"] == 20
    one = resp(await client.get("/api/v1/feeds/1/content/"))
    assert one["per_page"] == 5 and isinstance(one["entries"], list)
    dates = [e["created_on"] for e in one["entries"]]
    assert dates == sorted(dates)
    big = resp(await client.get("/api/v1/feeds/2/content/?per_page=500"))
    assert big["per_page"] == 100 and len(big["entries"]) == 100
    later = resp(await client.get("/api/v1/feeds/2/content/?offset_start=100&per_page=5"))
    assert set(later["entries"]) == {"100", "101", "102", "103", "104"}
    assert resp(await client.get("/api/v1/feeds/3/content/")) == {}
    entry = resp(await client.get(f"/api/v1/feeds/entry/{one['entries'][0]['id']}/"))["entry"]
    assert entry["feed_id"] == 1 and entry["items"]


async def test_quarantine(client: httpx.AsyncClient) -> None:
    listed = resp(await client.get("/api/v1/quarantine/list/"))
    assert listed["per_page"] == 10 and len(listed["quarantine_items"]) == 10
    assert resp(await client.get("/api/v1/quarantine/list/?per_page=5000"))["per_page"] == 1000
    assert resp(await client.get("/api/v1/quarantine/list/?per_page=-3"))["per_page"] == 1
    qid = listed["quarantine_items"][0]["id"]
    item = resp(await client.get(f"/api/v1/quarantine/item/{qid}/"))["quarantine_item"]
    assert item["id"] == qid and item["quarantine_session"]["usr_id"] == 1
    accepted = resp(await client.post(f"/api/v2/quarantine/item/{qid}/add/"))
    assert accepted["result"]["record_id"] > 0
    assert (await client.get(f"/api/v1/quarantine/item/{qid}/")).status_code == 404


# -- uploads (checklist 17) --


async def test_records_add(client: httpx.AsyncClient) -> None:
    data = b"fresh image bytes"
    files = {"file": ("new.jpg", data, "image/jpeg")}
    out = resp(await client.post("/api/v1/records/add/", data={"base_id": "1"}, files=files))
    assert out["entity"] == "0" and out["url"].startswith("/records/1/")
    rec = resp(await client.get(f"/api/v1{out['url']}"))["record"]
    assert rec["original_name"] == "new.jpg"
    again = resp(await client.post("/api/v1/records/add/", data={"base_id": "1"}, files=files))
    assert again["entity"] == "1" and again["url"].startswith("/quarantine/item/")
    forced = await client.post(
        "/api/v1/records/add/", data={"base_id": "1", "forceBehavior": "0"}, files=files
    )
    assert resp(forced)["entity"] == "0"
    quarantined = await client.post(
        "/api/v1/records/add/",
        data={"base_id": "1", "forceBehavior": "1"},
        files={"file": ("other.jpg", b"other", "image/jpeg")},
    )
    assert resp(quarantined)["entity"] == "1"


@pytest.mark.parametrize(
    ("fields", "with_file", "status"),
    [
        ({}, True, 400),
        ({"base_id": "1"}, False, 400),
        ({"base_id": "1", "forceBehavior": "2"}, True, 400),
        ({"base_id": "1", "status": "0xZZ"}, True, 500),
    ],
)
async def test_records_add_errors(
    client: httpx.AsyncClient, fields: dict[str, str], with_file: bool, status: int
) -> None:
    files = {"file": ("e.jpg", b"e", "image/jpeg")} if with_file else None
    if files is None:
        r = await client.post("/api/v1/records/add/", data=fields, files={"x": ("x", b"")})
    else:
        r = await client.post("/api/v1/records/add/", data=fields, files=files)
    assert r.status_code == status


async def test_records_add_status_is_binary(client: httpx.AsyncClient, app: Starlette) -> None:
    files = {"file": ("bits.jpg", b"bits", "image/jpeg")}
    out = resp(
        await client.post(
            "/api/v1/records/add/", data={"base_id": "1", "status": "110000"}, files=files
        )
    )
    d, r = (int(x) for x in out["url"].strip("/").split("/")[1:])
    assert app.state.store.records[(d, r)].status == 0b110000


# -- v3 records and stories --


async def test_v3_records(client: httpx.AsyncClient, app: Starlette) -> None:
    d, r = first(app, 1)
    rec = resp(await client.get(f"/api/v3/records/{d}/{r}/"))
    assert rec["record_id"] == r and rec["is_story"] is False and "record" not in rec
    patch = {
        "metadatas": [{"field_name": "Title", "action": "set", "value": "Patched"}],
        "status": [{"bit": 4, "state": True}],
    }
    out = resp(await client.patch(f"/api/v3/records/{d}/{r}/", json=patch))
    assert out["title"] == "Patched"
    assert (await client.patch(f"/api/v3/records/{d}/{r}/", content=b"{")).status_code == 422
    bad = {"status": [{"bit": 99, "state": True}]}
    assert (await client.patch(f"/api/v3/records/{d}/{r}/", json=bad)).status_code == 400
    made = resp(await client.post("/api/v3/records/1/", json={}))
    assert set(made) == {"url"}
    with_file = await client.post(
        "/api/v3/records/1/", files={"file": ("v3.jpg", b"v3 bytes", "image/jpeg")}
    )
    assert resp(with_file)["entity"] is None
    r400 = await client.post(f"/api/v3/records/{d}/{r}/setmetadatas/")
    assert r400.status_code == 400 and r400.json()["meta"]["api_version"] == "2.0.0"


async def test_v3_stories(client: httpx.AsyncClient, app: Starlette) -> None:
    d, s = first(app, 1, story=True)
    story = resp(await client.get(f"/api/v3/stories/{d}/{s}/"))
    assert story["is_story"] is True and story["children_total"] > 0
    kids = resp(await client.get(f"/api/v3/stories/{d}/{s}/children/?limit=2"))
    assert isinstance(kids, list) and kids[0].startswith(f"/api/v3/records/{d}/")
    bad = await client.get(f"/api/v3/stories/{d}/{s}/children/?limit=500")
    assert bad.status_code == 400
    d1, r1 = first(app, 1)
    assert (await client.get(f"/api/v3/stories/{d1}/{r1}/")).status_code == 404
    subdefs = resp(await client.get("/api/v3/databoxes/subdefs/"))["databoxes"]
    assert set(subdefs) == {"1", "2"}


async def test_me(client: httpx.AsyncClient) -> None:
    me = resp(await client.get("/api/v1/me/"))
    assert me["user"]["login"] == "emulator" and me["user"]["phone"] is None
    assert {c["base_id"] for c in me["collections"]} == {1, 2, 3, 4}
    assert resp(await client.get("/api/v1/me/structures/"))["meta_fields"]


# -- optional limits and faults --


async def test_quota_only_when_configured() -> None:
    now = [1000.0]
    app = create_app(EmulatorConfig(token=TOKEN, size=0.05, quota=3, window=10))
    app.state.clock = lambda: now[0]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as c:
        codes = [(await c.get("/api/v1/me/")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        last = await c.get("/api/v1/me/")
        assert last.headers["x-rate-limit-remaining"] == "0"
        assert last.headers["x-rate-limit-reset"] == "1010"
        now[0] = 1011.0
        assert (await c.get("/api/v1/me/")).status_code == 200


async def test_concurrency_cap_only_when_configured() -> None:
    # Latency inside the handler layer keeps the first request in flight.
    faults = FaultConfig(latency_ms=20.0)
    app = create_app(EmulatorConfig(token=TOKEN, size=0.05, concurrency=1, faults=faults))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as c:
        codes = sorted(
            r.status_code for r in await asyncio.gather(c.get("/api/v1/me/"), c.get("/api/v1/me/"))
        )
        assert codes == [200, 429]
        assert app.state.stats.rejected_concurrency == 1
        assert (await c.get("/api/v1/me/")).status_code == 200


async def test_faults_wrap_handlers() -> None:
    faults = FaultConfig(error_rate=1.0)
    app = create_app(EmulatorConfig(token=TOKEN, size=0.05, faults=faults))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        # Auth answers before the faults layer ...
        assert (await c.get("/api/v1/me/")).status_code == 400
        # ... and the handler behind it fails.
        r = await c.get("/api/v1/me/", headers=AUTH)
        assert r.status_code in (500, 502, 503)
