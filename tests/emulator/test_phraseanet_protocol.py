"""Phraseanet emulator: envelope, content negotiation, token handling, OAuth2, routing answers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import (
    BASE_PATH,
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_CODE_CLIENT_ID,
    EMULATOR_PASSWORD,
    EMULATOR_REDIRECT_URI,
    EMULATOR_USERNAME,
    create_app,
)
from asyncdam.emulator.phraseanet.core import UNHANDLED

TOKEN = "dev-token-123"
AUTH = {"Authorization": f"OAuth {TOKEN}"}
META_KEYS = {
    "api_version",
    "request",
    "response_time",
    "http_code",
    "error_type",
    "error_message",
    "error_details",
    "charset",
}


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(seed=3, token=TOKEN, size=0.1))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


def meta(r: httpx.Response) -> dict[str, object]:
    body = r.json()
    assert set(body) == {"meta", "response"}
    assert set(body["meta"]) == META_KEYS
    return dict(body["meta"])


# -- envelope (checklist 1-3, 21-23) --


async def test_success_envelope(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/databoxes/list/?x=1", headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    m = meta(r)
    assert m["api_version"] == "2.0.0"
    assert m["request"] == "GET /api/v1/databoxes/list/"
    assert m["http_code"] == 200
    assert m["error_type"] is None and m["error_message"] is None and m["error_details"] is None
    assert m["charset"] == "UTF-8"
    stamp = datetime.fromisoformat(str(m["response_time"]))
    assert stamp.tzinfo is not None and stamp.microsecond == 0
    assert r.headers["server-timing"].startswith("_global;dur=")
    assert "x-status-code" not in r.headers


async def test_v3_version_and_list_response(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v3/hello/", headers=AUTH)
    assert meta(r)["api_version"] == "3.0.0"
    assert r.json()["response"] == ["hello"]


async def test_error_envelope_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/records/1/999999/", headers=AUTH)
    assert r.status_code == 404
    m = meta(r)
    assert m["http_code"] == 404 and m["error_type"] == "Not Found"
    assert m["error_details"] == "Record `1_999999` not found"
    assert r.json()["response"] == {}
    assert r.headers["x-status-code"] == "404"


async def test_unknown_databox(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/databoxes/9/collections/", headers=AUTH)
    assert r.status_code == 404
    assert meta(r)["error_details"] == "Databox `9` not found"


async def test_jsonp(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/records/1/999999/", params={"callback": "cb"}, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    m = re.fullmatch(r"/\*\*/cb\((.*)\);", r.text, re.S)
    assert m is not None
    assert json.loads(m.group(1))["meta"]["http_code"] == 404


async def test_jsonp_keeps_500(client: httpx.AsyncClient) -> None:
    params = {"callback": "cb", "limit": "1000"}
    r = await client.get("/api/v3/search/", params=params, headers=AUTH)
    assert r.status_code == 500 and r.text.startswith("/**/cb(")


async def test_yaml_and_406(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me/", headers={**AUTH, "Accept": "application/yaml"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/yaml"
    r = await client.get("/api/v1/me/", headers={**AUTH, "Accept": "text/html"})
    assert r.status_code == 406
    assert meta(r)["error_type"] == "Unacceptable"
    # Negotiation happens before auth.
    r = await client.get("/api/v1/me/", headers={"Accept": "text/html"})
    assert r.status_code == 406


async def test_api_root_without_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/")
    assert r.status_code == 200
    versions = r.json()["response"]["versions"]
    assert set(versions) == {"1", "2", "3"}
    assert versions["1"]["uri"] == "/api/v1/"
    endpoints = versions["1"]["authenticationEndPoints"]
    assert endpoints["access_token"] == "/api/oauthv2/token"


def test_base_path() -> None:
    assert BASE_PATH == ""


# -- presenting the token (checklist 4-8) --


async def test_header_and_query_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me/", headers=AUTH)).status_code == 200
    assert (await client.get("/api/v1/me/", params={"oauth_token": TOKEN})).status_code == 200


async def test_token_in_post_form_body(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/search/", data={"oauth_token": TOKEN, "per_page": "3"})
    assert r.status_code == 200
    assert r.json()["response"]["per_page"] == 3


async def test_token_in_json_body_is_not_read(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/search/", json={"oauth_token": TOKEN})
    assert r.status_code == 400 and r.content == b""


async def test_header_and_param_conflict(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me/", params={"oauth_token": TOKEN}, headers=AUTH)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request"}
    assert r.headers["cache-control"] == "no-store"
    r = await client.post(
        "/api/v1/search/", params={"oauth_token": TOKEN}, data={"oauth_token": TOKEN}
    )
    assert r.status_code == 400 and r.json() == {"error": "invalid_request"}


async def test_bearer_is_400(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request"}
    assert "www-authenticate" not in r.headers
    r = await client.get("/api/v1/me/", headers={"Authorization": f"oauth {TOKEN}"})
    assert r.status_code == 400


async def test_missing_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/me/")
    assert r.status_code == 400 and r.content == b""
    assert r.headers["www-authenticate"] == "OAuth realm='Service', error='invalid_request'"


@pytest.mark.parametrize("params", [{"oauth_token": "nope"}, {"oauth_token": ""}])
async def test_unknown_token(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    r = await client.get("/api/v1/me/", params=params)
    assert r.status_code == 401 and r.content == b""
    assert r.headers["www-authenticate"] == "OAuth realm='Service', error='invalid_token'"


async def test_revoked_token(app: Starlette, client: httpx.AsyncClient) -> None:
    app.state.tokens.revoked.add(TOKEN)
    assert (await client.get("/api/v1/me/", headers=AUTH)).status_code == 401


async def test_header_only_mode(app: Starlette, client: httpx.AsyncClient) -> None:
    app.state.header_only = True
    r = await client.get("/api/v1/me/", params={"oauth_token": TOKEN})
    assert r.status_code == 400 and r.content == b""
    assert (await client.get("/api/v1/me/", headers=AUTH)).status_code == 200


# -- routing before auth (checklist 9, 10, 13) --


async def test_unknown_route_404_without_token(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nowhere/")
    assert r.status_code == 404 and meta(r)["error_type"] == "Not Found"
    assert meta(r)["error_details"] == 'No route found for "GET /api/v1/nowhere/"'


async def test_wrong_method_405(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/databoxes/list/")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    assert meta(r)["error_type"] == "Method Not Allowed"


async def test_missing_slash(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/records/1/2?x=1", headers=AUTH)
    assert r.status_code == 301
    assert r.headers["location"] == "http://127.0.0.1/api/v1/records/1/2/?x=1"
    head = await client.head("/api/v1/me", headers=AUTH)
    assert head.status_code == 301
    r = await client.post("/api/v1/baskets/add", data={"name": "x"}, headers=AUTH)
    assert r.status_code == 404
    r = await client.post("/api/v3/search", headers=AUTH)
    assert r.status_code == 404


async def test_non_numeric_id_twin(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/records/abc/1/", headers=AUTH)
    assert r.status_code == 400 and meta(r)["error_type"] == "Bad Request"
    # The twin answers only after auth.
    r = await client.get("/api/v1/records/abc/1/")
    assert r.status_code == 400 and r.content == b""


async def test_garbage_bodies_never_crash(client: httpx.AsyncClient) -> None:
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=zz"}
    r = await client.post("/api/v1/records/add/", content=b"\x00garbage", headers=headers)
    assert r.status_code == 400
    r = await client.post(
        "/api/v1/stories",
        content=b"{nope",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    r = await client.request("BREW", "/api/v1/me/", headers=AUTH)
    assert r.status_code == 405 and meta(r)["error_type"] == "Method Not Allowed"
    r = await client.request("PATCH", "/api/v1/search/", content=b"\xff\xfe", headers=AUTH)
    assert r.status_code == 200 and meta(r)["request"] == "PATCH /api/v1/search/"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search/?bases[x][y]=1&per_page[]=3&offset_start=abc",
        "/api/v1/records/1/1/setmetadatas/?metadatas[0]=x",
        "/api/v1/records/1/1/setstatus/?status[a][b]=1",
        "/api/v3/search/?page[]=1&cursor[]=x",
        "/api/v1/feeds/content/?per_page=x&feeds=1",
        "/api/v1/stories/1/1/addrecords",
        "/api/v2/baskets/1/records/",
        "/medias/a.b.c",
        "/permalink/v1/1/1/document/x.jpg",
        "/api/v1/%ff%fe/",
    ],
)
async def test_garbage_requests_get_server_answers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    for body in (b"", b"\x00\xff{[", b"metadatas[=&&&status[4]=1"):
        headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
        r = await client.request(method, path, content=body, headers=headers)
        ctype = r.headers.get("content-type", "")
        if ctype == "application/json":
            doc = r.json()
            assert doc["meta"]["http_code"] == r.status_code
            assert doc["meta"]["error_details"] != UNHANDLED
        else:
            assert r.status_code in (301, 400, 401, 403, 404), (r.status_code, ctype)


# -- OAuth2 (checklist 11) --


def _form(**extra: str) -> dict[str, str]:
    return {
        "grant_type": "password",
        "client_id": EMULATOR_CLIENT_ID,
        "client_secret": EMULATOR_CLIENT_SECRET,
        "username": EMULATOR_USERNAME,
        "password": EMULATOR_PASSWORD,
        **extra,
    }


async def test_password_grant(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/oauthv2/token", data=_form())
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert set(body) == {"access_token", "scope"} and body["scope"] is None
    assert re.fullmatch(r"[0-9a-f]{32}", body["access_token"])
    me = await client.get("/api/v1/me/", headers={"Authorization": f"OAuth {body['access_token']}"})
    assert me.status_code == 200


async def test_client_secret_optional_and_basic(client: httpx.AsyncClient) -> None:
    form = _form()
    del form["client_secret"]
    assert (await client.post("/api/oauthv2/token", data=form)).status_code == 200
    del form["client_id"]
    basic = httpx.BasicAuth(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)
    assert (await client.post("/api/oauthv2/token", data=form, auth=basic)).status_code == 200
    both = _form()
    r = await client.post("/api/oauthv2/token", data=both, auth=basic)
    assert r.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"password": "wrong"}, "invalid_grant"),
        ({"client_id": "unknown-client"}, "invalid_client"),
        ({"client_secret": "bad"}, "invalid_client"),
        ({"grant_type": "refresh_token"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"scope": "read"}, "invalid_scope"),
        ({"client_id": EMULATOR_CODE_CLIENT_ID}, "unsupported_grant_type"),
    ],
)
async def test_token_errors(client: httpx.AsyncClient, extra: dict[str, str], error: str) -> None:
    r = await client.post("/api/oauthv2/token", data=_form(**extra))
    assert r.status_code == 400
    assert r.json() == {"error": error}


async def test_token_endpoint_reads_form_only(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/oauthv2/token", params=_form())
    assert r.status_code == 400 and r.json() == {"error": "invalid_request"}
    r = await client.post("/api/oauthv2/token", json=_form())
    assert r.status_code == 400 and r.json() == {"error": "invalid_request"}


async def test_https_gate(app: Starlette, client: httpx.AsyncClient) -> None:
    app.state.require_ssl = True
    r = await client.post("/api/oauthv2/token", data=_form())
    assert r.status_code == 400
    assert r.json() == {"msg": "This route requires the use of the https scheme: 1", "code": 400}


async def test_authorization_code_flow(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/oauthv2/authorize",
        params={
            "client_id": EMULATOR_CODE_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": EMULATOR_REDIRECT_URI,
            "state": "xyz",
        },
    )
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    form = {
        "grant_type": "authorization_code",
        "client_id": EMULATOR_CODE_CLIENT_ID,
        "code": code,
        "redirect_uri": EMULATOR_REDIRECT_URI,
    }
    r = await client.post("/api/oauthv2/token", data=form)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert (await client.get("/api/v1/me/", params={"oauth_token": token})).status_code == 200
    # A code is good once.
    r = await client.post("/api/oauthv2/token", data=form)
    assert r.json() == {"error": "invalid_grant"}


async def test_authorize_denial_and_bad_client(client: httpx.AsyncClient) -> None:
    params = {"client_id": EMULATOR_CLIENT_ID, "response_type": "code", "deny": "1"}
    r = await client.get("/api/oauthv2/authorize", params=params)
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["access_denied"]
    bad = {"client_id": "x", "response_type": "code"}
    r = await client.get("/api/oauthv2/authorize", params=bad)
    assert r.status_code == 400


async def test_stats_count_routes_and_statuses(app: Starlette, client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/me/", headers=AUTH)
    await client.get("/api/v1/nowhere/")
    stats = app.state.stats
    assert stats.requests["GET /api/v1/me/"] == 1
    assert stats.statuses[200] == 1 and stats.statuses[404] == 1
    assert stats.total == 2
