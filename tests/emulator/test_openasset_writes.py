"""OpenAsset emulator, writes: POST/PUT/DELETE single and bulk, nested lists, MERGE, gates."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import create_app

TOKEN = "3:write-secret"
AUTH = {"Authorization": "OATU 3:write-secret"}


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(token=TOKEN, size=0.1, seed=5))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=AUTH
    ) as c:
        yield c


async def test_missing_or_garbage_json_is_400(client: httpx.AsyncClient) -> None:
    for method, body in (("POST", b""), ("PUT", b"{not json"), ("POST", b"\xff\xfe")):
        path = "/REST/1/Keywords" if method == "POST" else "/REST/1/Keywords/1"
        r = await client.request(method, path, content=body)
        assert r.status_code == 400
        assert r.json() == {
            "error_message": f"No JSON body provided for {method} request",
            "http_status_code": "400",
        }


async def test_single_post_put_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/REST/1/Keywords", json={"name": "brick", "keyword_category_id": "1"}
    )
    assert created.status_code == 201
    kw = created.json()
    assert kw["name"] == "brick" and kw["keyword_category_id"] == 1 and isinstance(kw["id"], int)
    updated = await client.put(f"/REST/1/Keywords/{kw['id']}", json={"name": "stone"})
    assert updated.json()["name"] == "stone"
    assert updated.json()["keyword_category_id"] == 1  # partial update keeps the rest
    gone = await client.delete(f"/REST/1/Keywords/{kw['id']}")
    assert gone.status_code == 204 and gone.content == b""
    assert (await client.get(f"/REST/1/Keywords/{kw['id']}")).status_code == 404
    again = await client.delete(f"/REST/1/Keywords/{kw['id']}")
    assert (
        again.status_code == 404 and again.json()["error_message"] == "Requested object not found"
    )


async def test_ignored_fields_header(client: httpx.AsyncClient) -> None:
    r = await client.put(
        "/REST/1/Projects/1", json={"name": "Renamed", "updated": "20200101000000", "bogus": 1}
    )
    assert r.status_code == 200 and r.json()["name"] == "Renamed"
    assert r.headers["X-Ignored-Fields"] == "updated,bogus"
    clean = await client.put("/REST/1/Projects/1", json={"name": "Again"})
    assert "X-Ignored-Fields" not in clean.headers


async def test_bulk_post_of_1000_reports_every_item_in_order(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    items: list[object] = []
    for i in range(1000):
        if i % 97 == 13:
            items.append({"keyword_category_id": 1})  # no name: per-item error
        elif i % 101 == 7:
            items.append({"name": "x" * 300, "keyword_category_id": 1})  # over the limit
        else:
            items.append({"name": f"bulk {i}", "keyword_category_id": 1, "junk": i})
    before = len(app.state.store.table("Keywords"))
    r = await client.post("/REST/1/Keywords", json=items)
    assert r.status_code == 200
    out = r.json()
    assert len(out) == 1000
    errors = 0
    for i, (sent, got) in enumerate(zip(items, out, strict=True)):
        assert isinstance(sent, dict)
        if "name" not in sent or len(sent["name"]) > 256:
            assert got["http_status_code"] == "400" and "error_message" in got, i
            errors += 1
        else:
            assert got["name"] == sent["name"]
    assert errors > 10
    assert len(app.state.store.table("Keywords")) == before + 1000 - errors
    assert r.headers["X-Ignored-Fields"] == "junk"
    assert app.state.stats.bulk_items == 1000


async def test_bulk_put_positional_with_errors(client: httpx.AsyncClient) -> None:
    body = [
        {"id": 1, "name": "one"},
        {"id": 999999, "name": "ghost"},
        {"name": "no id"},
        {"id": "2", "name": "two"},
        {"id": 3, "rank": "not-a-number"},
    ]
    r = await client.put("/REST/1/Photographers", json=body)
    assert r.status_code == 200
    out = r.json()
    assert out[0]["name"] == "one" and out[3]["name"] == "two"
    assert out[1] == {"error_message": "Requested object not found", "http_status_code": "404"}
    assert out[2]["http_status_code"] == "400"
    assert out[4]["name"] != "" and "error_message" not in out[4]  # unknown key just ignored
    assert r.headers["X-Full-Results-Count"] == "3"
    assert r.headers["X-Ignored-Fields"] == "rank"
    bad_type = await client.put("/REST/1/Files", json=[{"id": 1, "rank": "ten"}])
    assert bad_type.json()[0]["http_status_code"] == "400"


async def test_bulk_delete_returns_only_failures(client: httpx.AsyncClient) -> None:
    made = await client.post(
        "/REST/1/Keywords", json=[{"name": f"d{i}", "keyword_category_id": 1} for i in range(3)]
    )
    ids = [k["id"] for k in made.json()]
    ok = await client.request("DELETE", "/REST/1/Keywords", json=[{"id": str(i)} for i in ids[:2]])
    assert ok.status_code == 200 and ok.json() == []
    mixed = await client.request(
        "DELETE", "/REST/1/Keywords", json=[{"id": ids[2]}, {"id": 999999}]
    )
    assert len(mixed.json()) == 1 and mixed.json()[0]["http_status_code"] == "404"
    by_query = await client.post("/REST/1/Keywords", json={"name": "q", "keyword_category_id": 1})
    qr = await client.delete("/REST/1/Keywords", params={"id": str(by_query.json()["id"])})
    assert qr.json() == []


async def test_projects_need_name_and_code(client: httpx.AsyncClient) -> None:
    empty = await client.post("/REST/1/Projects", json={"name": "P", "code": ""})
    assert empty.status_code == 400
    assert empty.json() == {"error_message": "Invalid project code", "http_status_code": "400"}
    no_name = await client.post("/REST/1/Projects", json={"code": "NEW1"})
    assert no_name.status_code == 400
    ok = await client.post("/REST/1/Projects", json={"name": "P", "code": "NEW1"})
    assert ok.status_code == 201 and ok.json()["code"] == "NEW1"


async def test_verbs_refused_per_noun(client: httpx.AsyncClient) -> None:
    cases = [
        ("POST", "/REST/1/Categories", "Access denied to POST Categories"),
        ("DELETE", "/REST/1/Categories/1", "Access denied to DELETE Categories"),
        ("POST", "/REST/1/AccessLevels", "Access denied to POST AccessLevels"),
        ("PUT", "/REST/1/TextRewrites/1", "Access denied to PUT TextRewrites"),
        ("POST", "/REST/1/AspectRatios", "Access denied to POST AspectRatios"),
        ("DELETE", "/REST/1/Photographers/1", "Access denied to DELETE Photographers"),
        ("MERGE", "/REST/1/Projects/1", "Access denied to MERGE Projects"),
    ]
    for method, path, message in cases:
        r = await client.request(method, path, json=[{"id": 2}])
        assert r.status_code == 403, path
        assert r.json() == {"error_message": message, "http_status_code": "403"}
    cat = await client.put("/REST/1/Categories/1", json={"description": "ok"})
    assert cat.status_code == 200


async def test_files_cannot_be_created_from_json(client: httpx.AsyncClient) -> None:
    r = await client.post("/REST/1/Files", json={"original_filename": "a.jpg", "category_id": 1})
    assert r.status_code == 400 and r.json()["http_status_code"] == "400"


async def test_nested_put_replaces_post_appends_delete_removes(client: httpx.AsyncClient) -> None:
    base = "/REST/1/Files/1/Keywords"
    replaced = await client.put(base, json=[{"id": 1}, {"id": 2}])
    assert replaced.json() == [{"id": 1}, {"id": 2}]
    appended = await client.post(base, json=[{"id": 3}, {"id": 1}])
    assert appended.json() == [{"id": 1}, {"id": 2}, {"id": 3}]
    one = await client.post(f"{base}/4", json={})
    assert [k["id"] for k in one.json()] == [1, 2, 3, 4]
    removed = await client.delete(f"{base}/2")
    assert [k["id"] for k in removed.json()] == [1, 3, 4]
    assert (await client.delete(f"{base}/2")).status_code == 404
    invalid = await client.post(base, json=[{"id": 999999}])
    assert invalid.status_code == 400
    tagged = await client.post("/REST/1/Keywords/5/Files", json=[{"id": 2}, {"id": 3}])
    assert {2, 3} <= {f["id"] for f in tagged.json()}
    assert {"id": 5} in (await client.get("/REST/1/Files/2/Keywords")).json()
    fields = await client.put("/REST/1/Files/1/Fields", json=[{"id": 1, "values": ["a", "b"]}])
    assert {"id": 1, "values": ["a", "b"]} in fields.json()
    album = await client.put("/REST/1/Albums/1/Files", json=[{"id": 4}, {"id": 5}])
    assert album.json() == [{"id": 4, "display_order": 0}, {"id": 5, "display_order": 1}]
    users = await client.put("/REST/1/Albums/1/Users", json=[{"id": 3, "can_modify": 1}])
    assert users.json() == [{"id": 3, "can_modify": 1}]
    expanded = await client.get("/REST/1/Albums/1", params={"files": "all"})
    assert [f["id"] for f in expanded.json()["files"]] == [4, 5]


async def test_inline_list_in_parent_put_replaces(client: httpx.AsyncClient) -> None:
    r = await client.put("/REST/1/Files/1", json={"keywords": [{"id": 7}], "caption": "new"})
    assert r.status_code == 200 and r.json()["caption"] == "new"
    assert (await client.get("/REST/1/Files/1/Keywords")).json() == [{"id": 7}]
    bad = await client.put("/REST/1/Files/1", json={"keywords": [{"id": 999999}], "caption": "x"})
    assert bad.status_code == 400
    assert (await client.get("/REST/1/Files/1")).json()["caption"] == "new"


async def test_lookup_strings_and_size_regeneration(client: httpx.AsyncClient) -> None:
    added = await client.post("/REST/1/Fields/3/FieldLookupStrings", json={"value": "Brand new"})
    assert added.status_code == 200 and "Brand new" in [e["value"] for e in added.json()]
    new_id = next(e["id"] for e in added.json() if e["value"] == "Brand new")
    dropped = await client.delete(f"/REST/1/Fields/3/FieldLookupStrings/{new_id}")
    assert "Brand new" not in [e["value"] for e in dropped.json()]
    assert (await client.get("/REST/1/FieldLookupStrings")).status_code == 404
    sizes = await client.put("/REST/1/Files/1/Sizes", json=[{"id": 5, "recreate": 1}])
    assert 5 in [s["id"] for s in sizes.json()]


async def test_nested_writes_gated_before_8_1_11(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.version = "8.1.7"
    basic = httpx.BasicAuth("admin", "write-secret")
    client.headers.pop("Authorization")
    r = await client.post("/REST/1/Files/1/Keywords", json=[{"id": 1}], auth=basic)
    assert r.status_code == 400 and r.json()["error_message"] == "Not a valid URL."
    assert (
        await client.put("/REST/1/Files/1/Keywords", json=[{"id": 1}], auth=basic)
    ).status_code == 200
    album = await client.post("/REST/1/Albums", json={"name": "old"}, auth=basic)
    assert album.status_code == 403
    app.state.settings.version = "9.1.0"
    assert (
        await client.post("/REST/1/Albums", json={"name": "new"}, auth=basic)
    ).status_code == 201


async def test_merge_moves_links_and_deletes_sources(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    store = app.state.store
    await client.put("/REST/1/Files/1/Keywords", json=[{"id": 10}])
    await client.put("/REST/1/Files/2/Keywords", json=[{"id": 11}, {"id": 10}])
    r = await client.request("MERGE", "/REST/1/Keywords/10", json=[{"id": 11}, {"id": "12"}])
    assert r.status_code == 200 and r.json()["id"] == 10
    assert store.get("Keywords", 11) is None and store.get("Keywords", 12) is None
    assert (await client.get("/REST/1/Files/2/Keywords")).json() == [{"id": 10}]
    for entries in store.links[("Files", "Keywords")].values():
        assert all(e["id"] not in (11, 12) for e in entries)
    photographer_files = [
        f["id"] for f in store.table("Files").values() if f["photographer_id"] == 2
    ]
    await client.request("MERGE", "/REST/1/Photographers/1", json=[{"id": 2}])
    assert all(store.get("Files", f)["photographer_id"] == 1 for f in photographer_files)
    missing = await client.request("MERGE", "/REST/1/Keywords/10", json=[{"id": 999999}])
    assert missing.status_code == 404


async def test_soft_delete_and_restore(client: httpx.AsyncClient) -> None:
    await client.put("/REST/1/Files/1", json={"alive": 0})
    listed = await client.get("/REST/1/Files", params={"id": "1"})
    assert listed.json() == []
    assert (await client.get("/REST/1/Files", params={"id": "1", "alive": "0"})).json()[0][
        "id"
    ] == 1
    await client.put("/REST/1/Files/1", json={"alive": "1"})
    assert (await client.get("/REST/1/Files", params={"id": "1"})).json()[0]["id"] == 1


async def test_conditional_put_412(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.conditional = True
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    r = await client.put(
        "/REST/1/Projects/1", json={"name": "x"}, headers={"If-Unmodified-Since": old}
    )
    assert r.status_code == 412 and r.json()["http_status_code"] == "412"
    later = "Fri, 01 Jan 2100 00:00:00 GMT"
    ok = await client.put(
        "/REST/1/Projects/1", json={"name": "x"}, headers={"If-Unmodified-Since": later}
    )
    assert ok.status_code == 200


async def test_date_and_string_limits(client: httpx.AsyncClient) -> None:
    bad_date = await client.put("/REST/1/Groups/1", json={"expiry_date": "19700101000000"})
    assert bad_date.status_code == 400
    good = await client.put("/REST/1/Groups/1", json={"expiry_date": "20300101120000"})
    assert good.json()["expiry_date"] == "20300101120000"
    long = await client.put("/REST/1/Files/1", json={"caption": "y" * 70000})
    assert long.status_code == 400 and "65535" in long.json()["error_message"]
