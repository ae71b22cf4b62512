"""Phrase emulator robustness: garbage to every route, undocumented routes, odd requests."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from phrase_support import TOKEN, basic, client, main_project, make_app

from asyncdam._spec import phrase_operations
from asyncdam.emulator.phrase.app import ROUTER
from asyncdam.emulator.phrase.auth import USER_EMAIL

GARBAGE_BODIES: list[tuple[bytes, str]] = [
    (b'{"name": ', "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b"not json at all", "application/json"),
]
WRONG_TYPES: dict[str, Any] = {
    "name": ["x"],
    "code": {"a": 1},
    "content": 12.5,
    "file_format": [],
    "tags": {"a": 1},
    "q": ["tags:web"],
    "key_id": {"x": 1},
    "locale_id": True,
    "plural": "perhaps",
    "target_locale_ids": "zz",
    "strategy": 3,
    "direction": [],
    "note": None,
    "scopes": [{"x": 1}],
    "page": "two",
    "per_page": {"x": 1},
    "main_format": 7,
    "default": "perhaps",
}


async def _ids(c: httpx.AsyncClient) -> dict[str, str]:
    pid = (await main_project(c))["id"]
    key = (await c.get(f"/projects/{pid}/keys")).json()[0]["id"]
    tr = (await c.get(f"/projects/{pid}/translations")).json()[0]["id"]
    job = (await c.get(f"/projects/{pid}/jobs")).json()[0]["id"]
    up = (await c.get(f"/projects/{pid}/uploads")).json()[0]["id"]
    account = (await c.get("/accounts")).json()[0]["id"]
    return {"project": pid, "key": key, "translation": tr, "job": job, "upload": up,
            "account": account}  # fmt: skip


def _fill(template: str, ids: dict[str, str]) -> str:
    parts = template.split("/")
    out = []
    for i, part in enumerate(parts):
        if not part.startswith("{"):
            out.append(part)
            continue
        name = part[1:-1]
        before = parts[i - 1] if i else ""
        if name == "project_id" or before == "projects":
            out.append(ids["project"])
        elif name in ("account_id",) or before == "accounts":
            out.append(ids["account"])
        elif before == "locales" or name == "locale_id":
            out.append("en")
        elif before == "keys" or name == "key_id":
            out.append(ids["key"])
        elif before == "translations":
            out.append(ids["translation"])
        elif before == "tags":
            out.append("web")
        elif before == "branches":
            out.append("feature-x")
        elif before == "jobs":
            out.append(ids["job"])
        elif before == "uploads":
            out.append(ids["upload"])
        else:
            out.append("0" * 32)
    return "/".join(out)


def _check_error_shape(resp: httpx.Response, context: str) -> None:
    assert 400 <= resp.status_code < 500, (context, resp.status_code, resp.text[:200])
    body = resp.json()
    assert isinstance(body, dict), context
    assert isinstance(body.get("message") or body.get("error"), str), context
    if resp.status_code == 422 and "message" in body:
        assert body["message"] == "Validation Failed"
        for err in body["errors"]:
            assert set(err) == {"resource", "field", "message"}


async def test_garbage_bodies_to_every_route_get_a_400() -> None:
    app, _ = make_app(quota=100_000)
    async with client(app) as c:
        ids = await _ids(c)
        for method, template in sorted(ROUTER.templates):
            url = _fill(template, ids)
            for body, ctype in GARBAGE_BODIES:
                resp = await c.request(method, url, content=body, headers={"Content-Type": ctype})
                context = f"{method} {template} {body!r}"
                _check_error_shape(resp, context)
                if not template.startswith("/authorizations"):
                    assert resp.status_code == 400, context
                    assert resp.json() == {"message": "JSON could not be parsed"}, context
    assert 500 not in app.state.stats.by_status


async def test_wrong_types_and_silly_queries_never_crash() -> None:
    app, _ = make_app(quota=100_000)
    async with client(app) as c:
        ids = await _ids(c)
        for method, template in sorted(ROUTER.templates):
            if method == "DELETE":
                continue
            url = _fill(template, ids)
            if method == "GET":
                resp = await c.get(
                    url,
                    params={"per_page": "99999999999", "q": "updated_at:>=garbage ids: name:\\",
                            "file_format": "yml", "sort": "nope", "tags": ",,,"},
                )  # fmt: skip
            else:
                resp = await c.request(method, url, json=WRONG_TYPES)
            context = f"{method} {template}"
            assert resp.status_code < 500, (context, resp.text[:300])
            if resp.status_code >= 400:
                _check_error_shape(resp, context)
    assert 500 not in app.state.stats.by_status


async def test_routes_the_spec_does_not_document_are_plain_404s() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        hook = await c.post(f"/projects/{pid}/webhooks", json={"callback_url": "https://x.test"})
        for method, url in (
            ("GET", f"/projects/{pid}/nonsense"),
            ("POST", f"/projects/{pid}/webhooks/{hook.json()['id']}/explode"),
            ("PUT", f"/projects/{pid}/webhooks/{hook.json()['id']}"),
            ("GET", "/v3/user"),
            ("DELETE", "/notifications"),
        ):
            resp = await c.request(method, url, json={})
            assert resp.status_code == 404, (method, url, resp.status_code)
            assert resp.json()["message"] == "Not Found"


async def test_implemented_templates_are_documented() -> None:
    spec = {(m, re.sub(r"\{\w+\}", "{}", p)) for m, p, _ in phrase_operations()}
    ours = {(m, re.sub(r"\{\w+\}", "{}", p)) for m, p in ROUTER.templates}
    assert ours == spec, ours ^ spec


async def test_put_is_404_unless_switched_on() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        assert (await c.put(f"/projects/{pid}", json={"name": "Via PUT"})).status_code == 404
        app.state.accept_put = True
        resp = await c.put(f"/projects/{pid}", json={"name": "Via PUT"})
        assert resp.status_code == 200 and resp.json()["name"] == "Via PUT"


async def test_head_mirrors_get_without_body() -> None:
    app, _ = make_app()
    async with client(app) as c:
        resp = await c.head("/projects")
        assert resp.status_code == 200 and resp.content == b""
        assert "etag" in resp.headers and "pagination" in resp.headers


async def test_icu_skeleton_and_its_error_shape() -> None:
    app, _ = make_app()
    async with client(app) as c:
        ok = await c.post(
            "/icu/skeleton",
            json={"content": "{n, plural, one {x} other {y}}", "locale_codes": ["en", "fr"]},
        )
        assert ok.status_code == 200 and set(ok.json()) == {"en", "fr"}
        bad = await c.post("/icu/skeleton", json={"content": "{n, plural, one {x"})
        assert bad.status_code == 422 and isinstance(bad.json()["error"], str)
        both = await c.post("/icu/skeleton", json={"content": "x", "id": "y"})
        assert both.status_code == 400


async def test_jsonp_callback() -> None:
    app, _ = make_app()
    async with client(app, auth=False) as c:
        resp = await c.get("/user", params={"callback": "cb", "access_token": TOKEN})
        assert resp.headers["content-type"].startswith("application/javascript")
        text = resp.text
        assert text.startswith("cb(") and text.endswith(")")
        wrapped = json.loads(text[3:-1])
        assert wrapped["meta"]["status"] == 200 and wrapped["data"]["username"] == "emulator"
        evil = await c.get("/user", params={"callback": "alert(1)//", "access_token": TOKEN})
        assert evil.headers["content-type"].startswith("application/json")


async def test_bools_accept_several_spellings() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        key = (await c.get(f"/projects/{pid}/keys")).json()[0]["id"]
        for raw, want in (
            ("true", True),
            ("False", False),
            ("1", True),
            ("0", False),
            (True, True),
        ):
            resp = await c.patch(f"/projects/{pid}/keys/{key}", json={"plural": raw})
            assert resp.json()["plural"] is want, raw


async def test_seed_is_deterministic() -> None:
    first, _ = make_app(seed=7)
    second, _ = make_app(seed=7)
    other, _ = make_app(seed=8)
    bodies = []
    for app in (first, second, other):
        async with client(app) as c:
            pid = (await main_project(c))["id"]
            bodies.append((await c.get(f"/projects/{pid}/keys", params={"per_page": 100})).content)
    assert bodies[0] == bodies[1] != bodies[2]


async def test_password_login_shares_the_token_quota() -> None:
    app, _ = make_app(quota=2)
    async with client(app, auth=False) as c:
        await c.get("/user", headers={"Authorization": f"token {TOKEN}"})
        resp = await c.get("/user", headers={"Authorization": basic(USER_EMAIL, TOKEN)})
        assert resp.headers["x-rate-limit-remaining"] == "0"
