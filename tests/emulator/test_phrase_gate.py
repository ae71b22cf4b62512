"""Phrase emulator gate: User-Agent, auth forms, rate-limit headers, quota, concurrency, 304s."""

from __future__ import annotations

import asyncio

import httpx
from phrase_support import TOKEN, UA, basic, client, main_project, make_app

from asyncdam.emulator.config import FaultConfig
from asyncdam.emulator.phrase.auth import OTP_CODE, OTP_EMAIL, USER_EMAIL
from asyncdam.emulator.phrase.limits import LEGACY_CONCURRENCY, LEGACY_QUOTA

RATE = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


async def test_all_credential_forms_are_accepted() -> None:
    app, _ = make_app()
    async with client(app, auth=False) as c:
        for header in (
            f"token {TOKEN}",
            basic(TOKEN, ""),
            basic(USER_EMAIL, TOKEN),
            basic(USER_EMAIL.upper(), TOKEN),
        ):
            resp = await c.get("/user", headers={"Authorization": header})
            assert resp.status_code == 200, header
            assert resp.json()["email"] == USER_EMAIL
        resp = await c.get("/user", params={"access_token": TOKEN})
        assert resp.status_code == 200


async def test_bad_credentials_get_401_without_rate_headers() -> None:
    app, _ = make_app()
    async with client(app, auth=False) as c:
        for headers in (
            {},
            {"Authorization": "token wrong"},
            {"Authorization": "token "},
            {"Authorization": "Bearer " + TOKEN},
            {"Authorization": basic("someone@example.com", TOKEN)},
            {"Authorization": basic(USER_EMAIL, "nope")},
            {"Authorization": "Basic !!!notbase64"},
        ):
            resp = await c.get("/projects", headers=headers)
            assert resp.status_code == 401, headers
            assert resp.json() == {"message": "Unauthorized"}
            assert not any(h in resp.headers for h in RATE)
        assert (await c.get("/user", params={"access_token": "bad"})).status_code == 401
    assert app.state.stats.unauthorized == 8
    assert app.state.stats.counted == 0


async def test_two_factor_login_needs_the_otp_header() -> None:
    app, _ = make_app()
    async with client(app, auth=False) as c:
        auth = basic(OTP_EMAIL, TOKEN)
        resp = await c.get("/user", headers={"Authorization": auth})
        assert resp.status_code == 401
        assert resp.headers["x-phraseapp-otp"] == "required; app"
        resp = await c.get("/user", headers={"Authorization": auth, "X-PhraseApp-OTP": "000000"})
        assert resp.status_code == 401
        resp = await c.get("/user", headers={"Authorization": auth, "X-PhraseApp-OTP": OTP_CODE})
        assert resp.status_code == 200


async def test_authorizations_only_with_email_and_password() -> None:
    app, _ = make_app()
    async with client(app) as c:
        assert (await c.get("/authorizations")).status_code == 401
        pw = {"Authorization": basic(USER_EMAIL, TOKEN)}
        created = await c.post("/authorizations", json={"note": "deploy"}, headers=pw)
        assert created.status_code == 201
        body = created.json()
        assert len(body["token"]) == 64 and body["token_last_eight"] == body["token"][-8:]
        listed = await c.get("/authorizations", headers=pw)
        assert [a["id"] for a in listed.json()] == [body["id"]]
        assert "token" not in listed.json()[0]
        assert (await c.delete(f"/authorizations/{body['id']}", headers=pw)).status_code == 204
        assert (await c.get(f"/authorizations/{body['id']}", headers=pw)).status_code == 404


async def test_missing_or_empty_user_agent_is_400() -> None:
    app, _ = make_app()
    async with client(app) as c:
        for ua in ("", "   "):
            resp = await c.get("/user", headers={"User-Agent": ua})
            assert resp.status_code == 400
            assert isinstance(resp.json()["message"], str)
            assert "x-rate-limit-limit" not in resp.headers
    # Switch: check auth first and count the bad request against the quota.
    app.state.ua_before_auth = False
    app.state.ua_counts = True
    async with client(app, auth=False) as c:
        assert (await c.get("/user", headers={"User-Agent": ""})).status_code == 401
        resp = await c.get("/user", headers={"User-Agent": "", "Authorization": f"token {TOKEN}"})
        assert resp.status_code == 400
        assert resp.headers["x-rate-limit-remaining"] == "999"  # of the default 1000


async def test_rate_headers_count_down_and_reset_is_window_end() -> None:
    app, clock = make_app(quota=5, window=60)
    async with client(app) as c:
        first = await c.get("/user")
        assert first.headers["x-rate-limit-limit"] == "5"
        assert first.headers["x-rate-limit-remaining"] == "4"
        assert first.headers["x-rate-limit-reset"] == str(int(clock.now + 60))
        missing = await c.get("/projects/nope")
        assert missing.status_code == 404
        assert missing.json()["message"] == "Not Found"
        assert missing.headers["x-rate-limit-remaining"] == "3"
        for _ in range(3):
            await c.get("/user")
        limited = await c.get("/user")
        assert limited.status_code == 429
        assert limited.headers["x-rate-limit-remaining"] == "0"
        assert limited.headers["x-rate-limit-reset"] == first.headers["x-rate-limit-reset"]
        assert limited.headers["x-rate-limit-reason"]
        assert "retry-after" not in limited.headers
        clock.advance(60)
        again = await c.get("/user")
        assert again.status_code == 200
        assert again.headers["x-rate-limit-remaining"] == "4"
        assert int(again.headers["x-rate-limit-reset"]) == int(clock.now + 60)
    stats = app.state.stats
    assert stats.rate_limited["quota"] == 1
    assert stats.counted == 6


async def test_default_quota_is_the_current_services_1000_per_300_seconds() -> None:
    app, clock = make_app()
    async with client(app) as c:
        resp = await c.get("/user")
    assert resp.headers["x-rate-limit-limit"] == "1000"
    assert resp.headers["x-rate-limit-reset"] == str(int(clock.now + 300))
    assert app.state.in_flight.cap == 4
    assert app.state.quota_scope == "user"


async def test_legacy_phraseapp_limits_are_explicit_settings() -> None:
    # PhraseApp v2: 500 per 300 s per project, 2 in flight.
    app, _ = make_app(quota=LEGACY_QUOTA, concurrency=LEGACY_CONCURRENCY)
    app.state.quota_scope = "project"
    async with client(app) as c:
        projects = (await c.get("/projects")).json()
        a, b = projects[0]["id"], projects[1]["id"]
        first = await c.get(f"/projects/{a}")
        other = await c.get(f"/projects/{b}")
    assert first.headers["x-rate-limit-limit"] == "500"
    assert first.headers["x-rate-limit-remaining"] == other.headers["x-rate-limit-remaining"]
    assert app.state.in_flight.cap == 2


async def test_project_scoped_quota_switch() -> None:
    app, _ = make_app(quota=3)
    app.state.quota_scope = "project"
    async with client(app) as c:
        projects = (await c.get("/projects")).json()
        a, b = projects[0]["id"], projects[1]["id"]
        for _ in range(3):
            assert (await c.get(f"/projects/{a}")).status_code == 200
        assert (await c.get(f"/projects/{a}")).status_code == 429
        assert (await c.get(f"/projects/{b}")).status_code == 200


async def test_304_is_free_and_keeps_validators() -> None:
    app, _ = make_app()
    async with client(app) as c:
        project = await main_project(c)
        url = f"/projects/{project['id']}/keys"
        first = await c.get(url)
        etag, lm = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and etag.endswith('"')
        assert lm.endswith("GMT")
        remaining = first.headers["x-rate-limit-remaining"]
        cached = await c.get(url, headers={"If-None-Match": etag})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == etag and cached.headers["last-modified"] == lm
        assert cached.headers["x-rate-limit-remaining"] == remaining
        by_date = await c.get(url, headers={"If-Modified-Since": lm})
        assert by_date.status_code == 304
        stale = await c.get(url, headers={"If-None-Match": '"other"'})
        assert stale.status_code == 200
        assert stale.headers["x-rate-limit-remaining"] == str(int(remaining) - 1)
    assert app.state.stats.not_modified == 2


async def test_formats_need_no_auth_and_are_not_counted() -> None:
    app, _ = make_app(quota=1)
    async with client(app, auth=False) as c:
        for _ in range(3):
            resp = await c.get("/formats")
            assert resp.status_code == 200
            assert "x-rate-limit-limit" not in resp.headers
        names = {f["api_name"] for f in resp.json()}
        assert {"yml", "simple_json", "csv", "xlf", "properties"} <= names
    assert app.state.stats.counted == 0


async def test_concurrency_cap_gives_immediate_429() -> None:
    # Injected latency runs inside the in-flight window, so three parallel calls overlap.
    app, _ = make_app(concurrency=2, faults=FaultConfig(latency_ms=80))
    async with client(app) as c:
        results = await asyncio.gather(*(c.get("/user") for _ in range(3)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200, 429]
    limited = next(r for r in results if r.status_code == 429)
    assert limited.text == "Concurrency limit exceeded"
    assert limited.headers["x-rate-limit-reason"] == app.state.concurrency_reason
    assert "x-rate-limit-reset" in limited.headers
    stats = app.state.stats
    assert stats.rate_limited["concurrency"] == 1
    assert stats.max_in_flight == 2
    assert stats.counted == 2


async def test_concurrency_json_body_and_omitted_reset_modes() -> None:
    app, _ = make_app(concurrency=1, faults=FaultConfig(latency_ms=60))
    app.state.concurrency_body = "json"
    app.state.concurrency_omit_reset = True
    async with client(app) as c:
        results = await asyncio.gather(c.get("/user"), c.get("/user"))
    limited = next(r for r in results if r.status_code == 429)
    assert limited.json() == {"message": "Concurrency limit exceeded"}
    assert "x-rate-limit-reset" not in limited.headers


async def test_unknown_routes_and_bases() -> None:
    app, _ = make_app()
    async with client(app) as c:
        resp = await c.get("/nothing/here")
        assert resp.status_code == 404
        assert resp.json()["message"] == "Not Found"
        assert (await c.put("/user")).status_code == 404
    transport = httpx.ASGITransport(app=app)
    headers = {"User-Agent": UA, "Authorization": f"token {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, headers=headers) as raw:
        assert (await raw.get("http://127.0.0.1/v3/user")).status_code == 404
        legacy = await raw.get("https://api.phraseapp.com/api/v2/user")
        assert legacy.status_code == 200
        us = await raw.get("https://api.us.app.phrase.com/v2/projects", params={"per_page": 1})
        assert us.headers["link"].startswith("<https://api.us.app.phrase.com/v2/projects?")


async def test_injected_server_errors_carry_no_rate_headers() -> None:
    app, _ = make_app(faults=FaultConfig(error_rate=1.0))
    async with client(app) as c:
        resp = await c.get("/user")
    assert resp.status_code in (500, 502, 503)
    assert "x-rate-limit-limit" not in resp.headers
    assert app.state.stats.in_flight == 0


async def test_injected_429_burst_keeps_its_own_headers() -> None:
    app, clock = make_app(quota=50, faults=FaultConfig(burst_429_rate=1.0))
    async with client(app) as c:
        resp = await c.get("/user")
    assert resp.status_code == 429
    assert resp.headers["x-rate-limit-limit"] == "50"
    assert resp.headers["x-rate-limit-remaining"] == "0"
    assert int(resp.headers["x-rate-limit-reset"]) >= int(clock.now)
    assert app.state.stats.rate_limited["injected"] == 1


async def test_read_only_token_from_authorizations_gets_403_on_writes() -> None:
    app, _ = make_app()
    pw = {"Authorization": basic(USER_EMAIL, TOKEN)}
    async with client(app, auth=False) as c:
        made = await c.post("/authorizations", json={"note": "ro", "scopes": ["read"]}, headers=pw)
        assert made.status_code == 201
        ro = {"Authorization": f"token {made.json()['token']}"}
        assert (await c.get("/projects", headers=ro)).status_code == 200
        denied = await c.post("/projects", json={"name": "x"}, headers=ro)
        assert denied.status_code == 403
        assert denied.json() == {"message": "Forbidden"}
        assert "x-rate-limit-remaining" in denied.headers
        widened = await c.patch(
            f"/authorizations/{made.json()['id']}", json={"scopes": ["read", "write"]}, headers=pw
        )
        assert widened.json()["scopes"] == ["read", "write"]
        assert (await c.post("/projects", json={"name": "x"}, headers=ro)).status_code == 201
        await c.delete(f"/authorizations/{made.json()['id']}", headers=pw)
        assert (await c.get("/projects", headers=ro)).status_code == 401
