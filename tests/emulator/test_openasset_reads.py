"""OpenAsset emulator, reads: paths, shapes, paging headers, HEAD, orderBy, filters, expansions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import BASE_PATH, create_app

TOKEN = "7:s3cret-token"
AUTH = {"Authorization": "OATU 7:s3cret-token"}
BASIC = httpx.BasicAuth("admin", "s3cret-token")


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(EmulatorConfig(seed=3, token=TOKEN))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    app.state.settings.legacy_strings = False
    app.state.settings.version = "10.3.12"
    app.state.settings.conditional = False
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1" + BASE_PATH, headers=AUTH
    ) as c:
        yield c


def _alive_files(app: Starlette) -> list[int]:
    return [i for i, f in app.state.store.table("Files").items() if f["alive"]]


async def test_unknown_and_wrong_case_nouns_are_404_modules(client: httpx.AsyncClient) -> None:
    for path in ("/REST/1/files", "/REST/1/Nope", "/REST/1/Albums/3/files", "/REST/1/"):
        r = await client.get(path)
        assert r.status_code == 404, path
        body = r.json()
        assert body["http_status_code"] == "404"
        assert body["error_message"].startswith("Cannot create requested REST module /REST/1/")
    r = await client.get("/REST/1/files")
    assert r.json()["error_message"] == "Cannot create requested REST module /REST/1/files"


async def test_collection_is_array_item_is_object_missing_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/REST/1/Projects/")  # trailing slash is fine
    assert r.status_code == 200 and isinstance(r.json(), list)
    first = r.json()[0]
    one = await client.get(f"/REST/1/Projects/{first['id']}")
    assert one.json()["id"] == first["id"] and isinstance(one.json(), dict)
    missing = await client.get("/REST/1/Projects/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "error_message": "Requested object not found",
        "http_status_code": "404",
    }
    empty = await client.get("/REST/1/Projects", params={"code": "no-such-code"})
    assert empty.status_code == 200 and empty.json() == []
    assert empty.headers["X-Full-Results-Count"] == "0"


async def test_default_limit_zero_and_count_headers(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    total = len(_alive_files(app))
    r = await client.get("/REST/1/Files")
    assert len(r.json()) == 10
    assert r.headers["X-Full-Results-Count"] == str(total)
    assert r.headers["X-Display-Results-Count"] == "10"
    assert r.headers["X-Offset"] == "0"
    assert r.headers["X-Limit"] == "10"
    everything = await client.get("/REST/1/Files", params={"limit": 0, "displayFields": "id"})
    assert len(everything.json()) == total
    assert everything.headers["X-Display-Results-Count"] == str(total)
    tail = await client.get("/REST/1/Files", params={"limit": 5, "offset": total - 2})
    assert len(tail.json()) == 2 and tail.headers["X-Offset"] == str(total - 2)


async def test_full_paged_listing_yields_each_file_once(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    seen: list[int] = []
    offset, total = 0, None
    while total is None or offset < total:
        r = await client.get(
            "/REST/1/Files", params={"limit": 250, "offset": offset, "orderBy": "id"}
        )
        total = int(r.headers["X-Full-Results-Count"])
        page = [row["id"] for row in r.json()]
        if not page:
            break
        seen.extend(page)
        offset += len(page)
    assert len(seen) == len(set(seen)) == total == len(_alive_files(app))
    assert seen == sorted(_alive_files(app))
    assert total > 2500


async def test_head_gives_same_headers_and_no_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/REST/1/Files", params={"project_id": ">5"})
    head = await client.head("/REST/1/Files", params={"project_id": ">5"})
    assert head.status_code == 200 and head.content == b""
    for name in ("X-Full-Results-Count", "X-Display-Results-Count", "Content-Length", "X-Offset"):
        assert head.headers[name] == get.headers[name]
    missing = await client.head("/REST/1/Files/999999")
    assert missing.status_code == 404 and missing.content == b""


async def test_order_by_keys_and_case_sensitive_suffix(client: httpx.AsyncClient) -> None:
    desc = (await client.get("/REST/1/Keywords", params={"orderBy": "idDesc", "limit": 0})).json()
    ids = [k["id"] for k in desc]
    assert ids == sorted(ids, reverse=True)
    asc = (await client.get("/REST/1/Keywords", params={"orderBy": "idAsc", "limit": 0})).json()
    assert [k["id"] for k in asc] == sorted(ids)
    multi = await client.get(
        "/REST/1/Keywords", params={"orderBy": "keyword_category_idDesc,nameAsc", "limit": 0}
    )
    rows = [(k["keyword_category_id"], k["name"]) for k in multi.json()]
    assert rows == sorted(rows, key=lambda r: (-r[0], r[1]))
    bad = await client.get("/REST/1/Keywords", params={"orderBy": "iddesc"})
    assert bad.status_code == 400 and bad.json()["http_status_code"] == "400"


async def test_display_fields_trims(client: httpx.AsyncClient) -> None:
    r = await client.get("/REST/1/Files", params={"displayFields": "id,caption", "limit": 3})
    assert all(set(row) == {"id", "caption"} for row in r.json())
    # hideFields exists in no source: ignored like any unknown parameter.
    r = await client.get("/REST/1/Files", params={"hideFields": "caption", "limit": 1})
    assert "caption" in r.json()[0]


async def test_filters_equality_lists_ranges_comparisons_negation(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    files = [f for f in app.state.store.table("Files").values() if f["alive"]]

    async def ids(**params: str) -> set[int]:
        r = await client.get("/REST/1/Files", params={"limit": "0", **params})
        assert r.status_code == 200, r.text
        return {row["id"] for row in r.json()}

    assert await ids(id="1,2,3") == {f["id"] for f in files if f["id"] in (1, 2, 3)}
    assert await ids(id="9-17") == {f["id"] for f in files if 9 <= f["id"] <= 17}
    assert await ids(id=">2900") == {f["id"] for f in files if f["id"] > 2900}
    assert await ids(id="<=20") == {f["id"] for f in files if f["id"] <= 20}
    assert await ids(rank=">=9", access_level="2") == {
        f["id"] for f in files if f["rank"] >= 9 and f["access_level"] == 2
    }
    assert await ids(rank="!5") == {f["id"] for f in files if f["rank"] != 5}
    some = files[7]
    assert await ids(caption=some["caption"].upper(), textMatching="exact") == {
        f["id"] for f in files if f["caption"].lower() == some["caption"].lower()
    }
    contains = await ids(caption="view 12")
    assert contains == {f["id"] for f in files if "view 12" in f["caption"].lower()}
    assert len(contains) > 1
    arr = await client.get(
        "/REST/1/Files?textMatching=exact&caption[]=" + some["caption"], params={"limit": "0"}
    )
    assert some["id"] in {row["id"] for row in arr.json()}
    stamp = sorted(f["updated"] for f in files)[len(files) // 2]
    assert await ids(updated=">=" + stamp) == {f["id"] for f in files if f["updated"] >= stamp}


async def test_bad_query_values_answer_400(client: httpx.AsyncClient) -> None:
    for params in (
        {"limit": "-1"},
        {"limit": "ten"},
        {"offset": "-5"},
        {"id": ">abc"},
        {"textMatching": "fuzzy"},
    ):
        r = await client.get("/REST/1/Files", params=params)
        assert r.status_code == 400, params
        assert r.json()["http_status_code"] == "400"
    huge = await client.get("/REST/1/Sizes", params={"limit": str(10**12)})
    assert huge.status_code == 200 and len(huge.json()) == 6


async def test_filter_by_groups_with_wildcards(client: httpx.AsyncClient, app: Starlette) -> None:
    project = next(iter(app.state.store.table("Projects").values()))
    word = project["name"].split()[1]
    r = await client.get(
        "/REST/1/Projects", params={"filterBy[-and][0][name]": f"*{word}*", "limit": "0"}
    )
    assert r.status_code == 200
    assert project["id"] in {p["id"] for p in r.json()}
    assert all(word.lower() in p["name"].lower() for p in r.json())


async def test_expansions_all_and_id_lists(client: httpx.AsyncClient, app: Starlette) -> None:
    store = app.state.store
    fid = next(f for f, ks in store.links[("Files", "Keywords")].items() if len(ks) >= 2)
    kw_ids = [k["id"] for k in store.links[("Files", "Keywords")][fid]]
    r = await client.get(f"/REST/1/Files/{fid}", params={"keywords": "all", "sizes": "all"})
    body = r.json()
    assert body["keywords"] == [{"id": k} for k in kw_ids]
    assert body["sizes"][0]["id"] == 1 and body["sizes"][0]["http_root"].startswith("//")
    r = await client.get(f"/REST/1/Files/{fid}", params={"keywords": str(kw_ids[0])})
    assert r.json()["keywords"] == [{"id": kw_ids[0]}]
    field = next(iter(store.table("Fields").values()))
    lookups = await client.get("/REST/1/Fields", params={"fieldLookupStrings": "all", "limit": 0})
    assert all("fieldLookupStrings" in f for f in lookups.json())
    assert any(f["fieldLookupStrings"] for f in lookups.json())
    albums = await client.get(
        "/REST/1/Albums", params={"files": "all", "users": "all", "groups": "all"}
    )
    assert {"files", "users", "groups"} <= set(albums.json()[0])
    groups = await client.get("/REST/1/Groups", params={"users": "all"})
    assert "users" in groups.json()[0]
    projects = await client.get(
        "/REST/1/Projects", params={"projectKeywords": "all", "fields": "all"}
    )
    assert {"projectKeywords", "fields"} <= set(projects.json()[0])
    assert field["id"]  # the table is seeded


async def test_nested_reads(client: httpx.AsyncClient, app: Starlette) -> None:
    store = app.state.store
    fid = next(iter(store.table("Files")))
    for child in ("Keywords", "Fields", "Sizes", "Albums"):
        r = await client.get(f"/REST/1/Files/{fid}/{child}")
        assert r.status_code == 200 and isinstance(r.json(), list), child
    search = next(iter(store.table("Searches")))
    results = await client.get(f"/REST/1/Searches/{search}/Results", params={"limit": 0})
    assert results.status_code == 200 and all("file_id" in e for e in results.json())
    project_id = store.table("Searches")[search]["search_items"][0]["ids"][0]
    expected = {
        f["id"]
        for f in store.table("Files").values()
        if f["project_id"] == project_id and f["alive"]
    }
    assert {e["file_id"] for e in results.json()} == expected
    pf = await client.get(f"/REST/1/Projects/{project_id}/Files", params={"limit": 0})
    assert {f["id"] for f in pf.json()} == expected
    assert (await client.get(f"/REST/1/Files/{fid}/Nope")).status_code == 404


async def test_version_gates_on_reads(client: httpx.AsyncClient, app: Starlette) -> None:
    settings = app.state.settings
    pid = next(iter(app.state.store.table("Projects")))
    with_hero = await client.get(f"/REST/1/Projects/{pid}", params={"withHeroImage": "1"})
    assert "hero_image_id" in with_hero.json()
    assert "rest_code" in (await client.get("/REST/1/Fields/1")).json()
    settings.version = "8.1.7"
    # OATU tokens need 10.3.12: an older server refuses them, Basic still works.
    assert (await client.get("/REST/1/Groups")).status_code == 401
    client.headers.pop("Authorization")
    client.auth = BASIC
    assert (await client.get("/REST/1/Groups")).status_code == 404
    old = await client.get(f"/REST/1/Projects/{pid}", params={"withHeroImage": "1"})
    assert "hero_image_id" not in old.json()
    assert old.headers["X-OpenAsset-Version"] == "8.1.7"
    assert "rest_code" not in (await client.get("/REST/1/Fields/1")).json()
    sizes = (await client.get("/REST/1/Files/1/Sizes")).json()
    assert "http_relative_path" not in sizes[0] and sizes[0]["http_root"] == "/storage/"
    assert (await client.get("/REST/1/Albums/1/Files")).json()[
        "error_message"
    ] == "Not a valid URL."
    settings.version = "10.0.2h"
    assert (await client.get("/REST/1/Groups")).status_code == 200
    assert "rest_code" not in (await client.get("/REST/1/Fields/1")).json()


async def test_legacy_mode_sends_strings(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.legacy_strings = True
    row = (await client.get("/REST/1/Files/1", params={"keywords": "all"})).json()
    assert row["id"] == "1" and isinstance(row["rank"], str) and isinstance(row["alive"], str)
    assert all(isinstance(k["id"], str) for k in row["keywords"])
    album = (await client.get("/REST/1/Albums/1")).json()
    assert isinstance(album["can_modify"], int)  # computed flags stay ints
    assert album["public_image_count"].count(",") == 3
    app.state.settings.legacy_strings = False
    assert isinstance((await client.get("/REST/1/Files/1")).json()["id"], int)


async def test_soft_deleted_rows_hidden_unless_asked(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    dead = [i for i, f in app.state.store.table("Files").items() if not f["alive"]]
    assert dead
    listed = await client.get("/REST/1/Files", params={"alive": "0", "limit": 0})
    assert {f["id"] for f in listed.json()} == set(dead)
    assert (await client.get(f"/REST/1/Files/{dead[0]}")).json()["alive"] == 0


async def test_conditional_get_flag(client: httpx.AsyncClient, app: Starlette) -> None:
    plain = await client.get("/REST/1/Projects/1")
    assert "Last-Modified" not in plain.headers
    app.state.settings.conditional = True
    first = await client.get("/REST/1/Projects/1")
    stamp = first.headers["Last-Modified"]
    again = await client.get("/REST/1/Projects/1", headers={"If-Modified-Since": stamp})
    assert again.status_code == 304 and again.content == b""
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert (
        await client.get("/REST/1/Projects/1", headers={"If-Modified-Since": old})
    ).status_code == 200
    listing = await client.get("/REST/1/Projects", headers={"If-Modified-Since": stamp})
    assert listing.status_code in (200, 304) and "Last-Modified" in listing.headers


async def test_headers_probe_and_options(client: httpx.AsyncClient) -> None:
    probe = await client.get("/REST/1/Headers")
    assert probe.status_code == 200
    head = await client.head("/REST/1/Headers")
    assert head.status_code == 200 and head.headers["X-Username"] == "admin"
    opts = await client.options("/REST/1/Categories")
    assert set(opts.json()["Categories"]) == {"GET", "PUT"}
    patch = await client.patch("/REST/1/Files/1", json={})
    assert patch.status_code == 405 and patch.json()["http_status_code"] == "405"


async def test_same_seed_same_data() -> None:
    a = create_app(EmulatorConfig(seed=11, size=0.1))
    b = create_app(EmulatorConfig(seed=11, size=0.1))
    c = create_app(EmulatorConfig(seed=12, size=0.1))
    assert a.state.store.tables == b.state.store.tables
    assert a.state.store.tables["Files"] != c.state.store.tables["Files"]
