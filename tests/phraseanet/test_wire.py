"""Exact requests on the wire (respx): header form, query vs form, brackets, slashes, encoding."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import Phraseanet

BASE = "https://dam.example.org"
API = BASE + "/api"


def env(response: Any, status: int = 200) -> dict[str, Any]:
    """A minimal envelope."""
    return {
        "meta": {
            "api_version": "2.0.0",
            "request": "GET /",
            "response_time": "2024-05-02T14:03:11+02:00",
            "http_code": status,
            "error_type": None,
            "error_message": None,
            "error_details": None,
            "charset": "UTF-8",
        },
        "response": response,
    }


RECORD = {"databox_id": 1, "record_id": 42, "title": "t", "base_id": 3}


@pytest.fixture
async def pn() -> Any:
    async with Engine(retry=RetryPolicy(max_attempts=1)) as engine:
        async with Phraseanet(BASE, token="s3cr3t", engine=engine) as client:
            yield client


def form_of(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


@respx.mock
async def test_token_goes_in_oauth_header_only(pn: Phraseanet) -> None:
    route = respx.get(f"{API}/v1/records/1/42/").respond(json=env({"record": RECORD}))
    record = await pn.records.get(1, 42)
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "OAuth s3cr3t"
    assert "oauth_token" not in sent.url.params
    assert "bearer" not in sent.headers["Authorization"].lower()
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("asyncdam/")
    assert record.key == (1, 42)


@pytest.mark.parametrize("base", [BASE, BASE + "/", BASE + "/api/", BASE + "/api/v1/", API])
@respx.mock
async def test_base_url_forms_reach_the_same_routes(base: str) -> None:
    route = respx.get(f"{API}/v1/databoxes/list/").respond(json=env({"databoxes": []}))
    async with Phraseanet(base, token="t") as pn:
        assert await pn.databoxes.list() == []
    assert route.called


@respx.mock
async def test_search_is_an_idempotent_form_post_with_brackets(pn: Phraseanet) -> None:
    route = respx.post(f"{API}/v1/search/").respond(
        json=env({"total_results": 1, "results": {"records": [RECORD], "stories": []}})
    )
    items = [
        r
        async for r in pn.records.search(
            "dog",
            bases=[1, 2],
            status={4: True, 5: False},
            fields=["Title"],
            date_field=["created_on", "updated_on"],
            date_min="2020/01/01",
            per_page=50,
            subdef_url_ttl=60,
        )
    ]
    assert [r.key for r in items] == [(1, 42)]
    sent = route.calls.last.request
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.url.params["subdef_url_ttl"] == "60"  # read from the query string only
    pairs = form_of(sent)
    assert ("bases[]", "1") in pairs and ("bases[]", "2") in pairs
    assert ("status[4]", "1") in pairs and ("status[5]", "0") in pairs
    assert ("fields[]", "Title") in pairs
    assert ("date_field", "created_on|updated_on") in pairs
    assert ("search_type", "0") in pairs
    assert ("offset_start", "0") in pairs and ("per_page", "50") in pairs
    assert ("query", "dog") in pairs


@respx.mock
async def test_get_parameters_travel_in_the_query_with_brackets(pn: Phraseanet) -> None:
    route = respx.get(f"{API}/v1/records/1/42/embed/").respond(json=env({"embed": []}))
    await pn.records.embed(1, 42, devices=["screen"], mimes=["image/jpeg", "image/png"])
    params = route.calls.last.request.url.params
    assert params.get_list("devices[]") == ["screen"]
    assert params.get_list("mimes[]") == ["image/jpeg", "image/png"]
    assert route.calls.last.request.content == b""


@respx.mock
async def test_setmetadatas_uses_indexed_brackets(pn: Phraseanet) -> None:
    route = respx.post(f"{API}/v1/records/1/42/setmetadatas/").respond(
        json=env({"record_metadatas": []})
    )
    await pn.records.set_metadatas(
        1,
        42,
        [{"meta_struct_id": 3, "value": "x"}, {"meta_struct_id": 2, "meta_id": 9, "value": ""}],
    )
    assert form_of(route.calls.last.request) == [
        ("metadatas[0][meta_struct_id]", "3"),
        ("metadatas[0][meta_id]", ""),
        ("metadatas[0][value]", "x"),
        ("metadatas[1][meta_struct_id]", "2"),
        ("metadatas[1][meta_id]", "9"),
        ("metadatas[1][value]", ""),
    ]


@respx.mock
async def test_json_only_on_json_routes_and_slashes_as_declared(pn: Phraseanet) -> None:
    create = respx.post(f"{API}/v1/stories").respond(json=env({"stories": ["/stories/1/7/"]}))
    add = respx.post(f"{API}/v1/stories/1/7/addrecords").respond(json=env({"records": ["1_5"]}))
    rm = respx.delete(f"{API}/v1/stories/1/7/delrecords").respond(json=env({"records": ["1_5"]}))
    setname = respx.post(f"{API}/v1/baskets/4/setname/").respond(json=env({"basket": {}}))
    url = await pn.stories.create(3, title="Trip", records=[(1, 5)])
    assert url == f"{API}/v1/stories/1/7/"
    assert await pn.stories.add_records(1, 7, [(1, 5)]) == ["1_5"]
    assert await pn.stories.remove_records(1, 7, [(1, 5)]) == ["1_5"]
    await pn.baskets.set_name(4, "New")
    for route in (create, add, rm):
        sent = route.calls.last.request
        assert sent.headers["content-type"] == "application/json"
    assert json.loads(create.calls.last.request.content) == {
        "stories": [
            {"base_id": 3, "title": "Trip", "story_records": [{"databox_id": 1, "record_id": 5}]}
        ]
    }
    assert setname.calls.last.request.headers["content-type"] == (
        "application/x-www-form-urlencoded"
    )
    assert form_of(setname.calls.last.request) == [("name", "New")]


ALL_KEYS = {
    "status": [],
    "caption_metadatas": [],
    "record_metadatas": [],
    "termsOfUse": [],
    "collection": {},
    "collections": {},
    "basket": {},
    "basket_elements": [],
    "baskets": [],
    "quarantine_item": {},
    "record": RECORD,
    "story": {},
    "embed": [],
    "entry": {},
    "feeds": [],
    "databoxes": {},
    "document_metadatas": {},
    "user": {},
}


@respx.mock
async def test_every_route_ends_with_its_slash(pn: Phraseanet) -> None:
    router = respx.route(host="dam.example.org").respond(json=env(ALL_KEYS))
    await pn.records.get(1, 2)
    await pn.records.status(1, 2)
    await pn.records.caption(1, 2)
    await pn.records.metadatas(1, 2)
    await pn.records.related(1, 2)
    await pn.records.set_status(1, 2, {4: True})
    await pn.records.set_collection(1, 2, 7)
    await pn.records.delete(1, 2)
    await pn.stories.get(1, 9)
    await pn.stories.embed(1, 9)
    await pn.databoxes.list()
    await pn.databoxes.collections(1)
    await pn.databoxes.status(1)
    await pn.databoxes.metadatas(1)
    await pn.databoxes.terms_of_use(1)
    await pn.collections.get(5)
    await pn.baskets.list()
    await pn.baskets.create("b")
    await pn.baskets.content(3)
    await pn.baskets.set_description(3, "")
    await pn.baskets.delete(3)
    await pn.feeds.list()
    await pn.feeds.entry(2)
    await pn.quarantine.get(8)
    await pn.quarantine.deny(8)
    await pn.quarantine.accept(8)
    await pn.me.get()
    await pn.me.structures()
    await pn.me.collections()
    calls = [(c.request.method, c.request.url.path) for c in router.calls]
    assert len(calls) == 29
    assert all(p.endswith("/") for _, p in calls), calls
    assert ("DELETE", "/api/v1/records/1/2/") in calls
    assert ("POST", "/api/v1/baskets/3/delete/") in calls
    assert ("POST", "/api/v2/quarantine/item/8/add/") in calls
    assert ("DELETE", "/api/v2/quarantine/item/8/") in calls
    assert all(c.request.headers["Authorization"] == "OAuth s3cr3t" for c in router.calls)


@respx.mock
async def test_upload_is_multipart_with_php_fields(pn: Phraseanet) -> None:
    route = respx.post(f"{API}/v1/records/add/").respond(
        json=env({"entity": "1", "url": "/quarantine/item/12/"})
    )
    result = await pn.records.upload(
        3, ("cat.jpg", b"\xff\xd8data"), force="quarantine", status=0b10000
    )
    sent = route.calls.last.request
    assert sent.headers["content-type"].startswith("multipart/form-data")
    body = sent.content
    assert b'name="base_id"\r\n\r\n3' in body
    assert b'name="forceBehavior"\r\n\r\n1' in body
    assert b'name="status"\r\n\r\n0b10000' in body
    assert b'filename="cat.jpg"' in body and b"\xff\xd8data" in body
    assert result.quarantined and result.quarantine_id == 12 and result.record_key is None
    assert result.url == f"{API}/v1/quarantine/item/12/"


@respx.mock
async def test_v3_search_sends_offset_limit_and_reads_total(pn: Phraseanet) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        pairs = dict(form_of(request))
        offset = int(pairs["offset"])
        recs = [{"databox_id": 1, "record_id": i} for i in range(offset, min(offset + 2, 5))]
        return httpx.Response(
            200,
            json=env(
                {
                    "total": 5,
                    "offset": offset,
                    "limit": 2,
                    "results": {"records": recs, "stories": []},
                }
            ),
        )

    route = respx.post(f"{API}/v3/search/").mock(side_effect=reply)
    keys = [r.record_id async for r in pn.records.search_v3("x", limit=2, include=["facets"])]
    assert keys == [0, 1, 2, 3, 4]
    first = form_of(route.calls[0].request)
    assert ("include[]", "facets") in first and ("limit", "2") in first
    assert "page" not in dict(first) and "cursor" not in dict(first)


@respx.mock
async def test_download_uses_the_permalink_without_the_oauth_header(
    pn: Phraseanet, tmp_path: Any
) -> None:
    link = f"{BASE}/permalink/v1/1/42/preview/photo.jpg?token=abc"
    route = respx.get(link).respond(content=b"JPEGDATA" * 1000)
    subdef_doc = {
        "name": "preview",
        "url": f"{BASE}/medias/jwt",
        "permalink": {"is_activated": True, "url": link, "download_url": link},
    }
    respx.get(f"{API}/v1/records/1/42/embed/").respond(json=env({"embed": [subdef_doc]}))
    (subdef,) = await pn.records.embed(1, 42)
    assert await pn.downloads.read(subdef) == b"JPEGDATA" * 1000
    assert "authorization" not in route.calls.last.request.headers
    chunks = [c async for c in pn.downloads.iter_bytes(subdef, chunk_size=1000)]
    assert b"".join(chunks) == b"JPEGDATA" * 1000
    target = tmp_path / "out.jpg"
    assert await pn.downloads.save(subdef, target) == 8000
    assert target.read_bytes() == b"JPEGDATA" * 1000
    assert not (tmp_path / "out.jpg.part").exists()


@respx.mock
async def test_password_grant_fetches_one_token_then_sends_the_header() -> None:
    from asyncdam.phraseanet import PasswordGrant

    token_route = respx.post(f"{API}/oauthv2/token").respond(
        json={"access_token": "abc123", "scope": None}
    )
    route = respx.get(f"{API}/v1/me/").respond(json=env({"user": {"id": 1}}))
    grant = PasswordGrant(client_id="app", client_secret="sh", username="u", password="pw")
    async with Phraseanet(BASE, oauth=grant) as pn:
        await pn.me.get()
        await pn.me.get()
        assert "pw" not in repr(pn) and "sh" not in repr(grant)
    assert token_route.call_count == 1
    sent = token_route.calls.last.request
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    fields = dict(form_of(sent))
    assert fields == {
        "grant_type": "password",
        "client_id": "app",
        "client_secret": "sh",
        "username": "u",
        "password": "pw",
    }
    assert "scope" not in fields and not sent.url.query
    assert route.calls.last.request.headers["Authorization"] == "OAuth abc123"


@respx.mock
async def test_authorization_code_helpers() -> None:
    from asyncdam.phraseanet import authorize_url, exchange_code

    url = httpx.URL(authorize_url(BASE, "app", "https://cb.example/x", state="st"))
    assert url.path == "/api/oauthv2/authorize"
    assert dict(url.params) == {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": "https://cb.example/x",
        "state": "st",
    }
    route = respx.post(f"{API}/oauthv2/token").respond(
        json={"access_token": "grant-xyz-123", "scope": None}, headers={"Cache-Control": "no-store"}
    )
    grant = await exchange_code(
        BASE, client_id="app", code="c0de", redirect_uri="https://cb.example/x"
    )
    assert grant.access_token == "grant-xyz-123" and "xyz" not in repr(grant)
    assert dict(form_of(route.calls.last.request)) == {
        "grant_type": "authorization_code",
        "client_id": "app",
        "code": "c0de",
        "redirect_uri": "https://cb.example/x",
    }


@respx.mock
async def test_v2_orders_routes_keep_their_slashless_paths(pn: Phraseanet) -> None:
    listing = respx.get(f"{API}/v2/orders/").respond(json=env({"data": []}))
    one = respx.get(f"{API}/v2/orders/5").respond(json=env({"data": {"id": 5}}))
    accept = respx.post(f"{API}/v2/orders/5/accept").respond(json=env({"data": {}}))
    archive = respx.get(f"{API}/v2/orders/5/archive").respond(json=env({"data": {}}))
    await pn.orders.list(page=2, per_page=100, includes=["elements"])
    assert (await pn.orders.get(5)) == {"data": {"id": 5}}
    await pn.orders.accept(5, {"elements": [1]})
    await pn.orders.archive(5)
    params = listing.calls.last.request.url.params
    assert params["page"] == "2" and params.get_list("includes[]") == ["elements"]
    assert json.loads(accept.calls.last.request.content) == {"elements": [1]}
    assert one.called and archive.called


@respx.mock
async def test_json_account_routes_and_enqueue(pn: Phraseanet) -> None:
    upd = respx.post(f"{API}/v1/me/update-account/").respond(json=env({"success": True}))
    req = respx.post(f"{API}/v1/me/request-collections/").respond(json=env({"success": True}))
    enq = respx.post(f"{API}/v1/upload/enqueue/").respond(json=env({"data": {"id": "q1"}}))
    await pn.me.update_account({"first_name": "Ada"})
    await pn.me.request_collections({"collections": [3, 4]})
    assert await pn.uploads.enqueue({"assets": []}) == {"id": "q1"}
    for route in (upd, req, enq):
        assert route.calls.last.request.headers["content-type"] == "application/json"
    assert json.loads(req.calls.last.request.content) == {"collections": [3, 4]}


@respx.mock
async def test_substitute_is_multipart(pn: Phraseanet) -> None:
    route = respx.post(f"{API}/v1/embed/substitute/").respond(
        json=env({"name": "preview", "adapt": True})
    )
    sub = await pn.records.substitute(1, 42, "preview", ("p.jpg", b"img"), adapt=True)
    body = route.calls.last.request.content
    assert b'name="databox_id"\r\n\r\n1' in body and b'name="adapt"\r\n\r\n1' in body
    assert b'name="name"\r\n\r\npreview' in body and sub.name == "preview"
