"""OpenAsset emulator, auth and knobs: Basic, OATU, sessions, anonymous, HTML, limits, faults."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.openasset import ADMIN_USERNAME, VIEWER_USERNAME, create_app

SECRET = "abcDEF123_-secret"
TOKEN = f"42:{SECRET}"
OATU = {"Authorization": f"OATU {TOKEN}"}


def _app(**kw: object) -> Starlette:
    return create_app(EmulatorConfig(token=TOKEN, size=0.05, **kw))  # type: ignore[arg-type]


@pytest.fixture
def app() -> Starlette:
    return _app()


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def test_oatu_and_basic_accepted_with_identity_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/REST/1/Headers", headers=OATU)
    assert r.status_code == 200
    assert r.headers["X-Username"] == ADMIN_USERNAME and r.headers["X-User-Id"] == "1"
    assert r.headers["X-OpenAsset-Version"] == "10.3.12"
    assert r.headers["X-Timing"].endswith(" sec")
    assert r.headers["X-SessionKey"]
    basic = await client.get("/REST/1/Files", auth=(VIEWER_USERNAME, SECRET))
    assert basic.status_code == 200 and basic.headers["X-Username"] == VIEWER_USERNAME


@pytest.mark.parametrize(
    "header",
    [
        "OATU 42:wrong",
        "OATU 41:" + SECRET,
        "OATU garbage",
        "Basic !!!notbase64",
        "Bearer " + SECRET,
        "Basic " + base64.b64encode(b"admin:nope").decode(),
        "Basic " + base64.b64encode(f"ghost:{SECRET}".encode()).decode(),
    ],
)
async def test_bad_credentials_are_401(client: httpx.AsyncClient, header: str) -> None:
    r = await client.get("/REST/1/Files", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["http_status_code"] == "401"
    assert "X-SessionKey" not in r.headers
    assert SECRET not in r.text


async def test_anonymous_reads_but_cannot_write(client: httpx.AsyncClient, app: Starlette) -> None:
    r = await client.get("/REST/1/Projects")
    assert r.status_code == 200 and r.headers["X-Username"] == "anonymous"
    assert "X-SessionKey" not in r.headers
    denied = await client.post("/REST/1/Projects", json={"name": "x", "code": "y"})
    assert denied.status_code == 403
    assert denied.json() == {
        "error_message": "Access denied to POST Projects",
        "http_status_code": "403",
    }
    viewer = await client.put(
        "/REST/1/Projects/1", json={"name": "z"}, auth=(VIEWER_USERNAME, SECRET)
    )
    assert viewer.status_code == 403
    app.state.settings.anonymous_access = False
    assert (await client.get("/REST/1/Projects")).status_code == 401


async def test_session_key_reuse_logout_and_expiry(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    now = [100.0]
    app.state.settings.clock = lambda: now[0]
    app.state.settings.session_max_age = 60.0
    login = await client.head("/REST/1/Headers", headers=OATU)
    key = login.headers["X-SessionKey"]
    assert (await client.get("/REST/1/Headers", headers=OATU)).headers["X-SessionKey"] == key
    reuse = await client.post(
        "/REST/1/Photographers", json={"name": "Key User"}, headers={"X-SessionKey": key}
    )
    assert reuse.status_code == 201 and reuse.headers["X-Username"] == ADMIN_USERNAME
    assert reuse.headers["X-SessionKey"] == key
    assert app.state.stats.by_auth["session"] == 1
    bogus = await client.get("/REST/1/Files", headers={"X-SessionKey": "not-a-key"})
    assert bogus.status_code == 401 and bogus.json()["http_status_code"] == "401"
    # Expiry by age: the key fails once; the credential then yields a fresh key that works.
    now[0] += 61
    expired = await client.get("/REST/1/Files", headers={"X-SessionKey": key})
    assert expired.status_code == 401
    renewed = await client.get("/REST/1/Headers", headers=OATU)
    fresh = renewed.headers["X-SessionKey"]
    assert fresh != key
    assert (await client.get("/REST/1/Files", headers={"X-SessionKey": fresh})).status_code == 200
    # Expire everything at once, as a server restart would.
    app.state.sessions.expire_all()
    assert (await client.get("/REST/1/Files", headers={"X-SessionKey": fresh})).status_code == 401
    # Logout revokes the key used for it.
    third = (await client.get("/REST/1/Headers", headers=OATU)).headers["X-SessionKey"]
    out = await client.head(
        "/REST/1/Headers", params={"logout": "logout"}, headers={"X-SessionKey": third}
    )
    assert out.status_code == 200
    assert (await client.get("/REST/1/Files", headers={"X-SessionKey": third})).status_code == 401
    assert app.state.stats.sessions_issued == 3


async def test_credential_wins_over_a_stale_session_key(client: httpx.AsyncClient) -> None:
    r = await client.get("/REST/1/Files", headers={**OATU, "X-SessionKey": "stale"})
    assert r.status_code == 200 and r.headers["X-SessionKey"] != "stale"


async def test_oatu_needs_10_3_12(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.version = "10.2.22"
    assert (await client.get("/REST/1/Files", headers=OATU)).status_code == 401
    assert (await client.get("/REST/1/Files", auth=(ADMIN_USERNAME, SECRET))).status_code == 200


async def test_bare_token_gets_id_one() -> None:
    app = create_app(EmulatorConfig(token="plain", size=0.05))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as c:
        assert (
            await c.get("/REST/1/Files", headers={"Authorization": "OATU 1:plain"})
        ).status_code == 200
        assert (await c.get("/REST/1/Files", auth=("admin", "plain"))).status_code == 200


async def test_html_error_mode_and_outage(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.html_errors = True
    r = await client.get("/REST/1/Nope", headers=OATU)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "OpenAsset - Something went wrong!" in r.text
    app.state.settings.html_errors = False
    app.state.settings.outage = 502
    down = await client.get("/REST/1/Files", headers=OATU)
    assert (
        down.status_code == 502 and "<title>OpenAsset - Something went wrong!</title>" in down.text
    )
    app.state.settings.outage = None
    assert (await client.get("/REST/1/Files", headers=OATU)).status_code == 200


async def test_no_rate_limit_headers_by_default(client: httpx.AsyncClient, app: Starlette) -> None:
    for _ in range(30):
        r = await client.get("/REST/1/AccessLevels", params={"limit": 1}, headers=OATU)
        assert r.status_code == 200
        assert not any(h.lower().startswith("x-rate") for h in r.headers)
    assert app.state.stats.requests == 30 and app.state.stats.by_status[200] == 30


async def test_quota_enforced_only_when_configured() -> None:
    app = _app(quota=3, window=10.0)
    now = [0.0]
    app.state.settings.clock = lambda: now[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=OATU
    ) as c:
        codes = [(await c.get("/REST/1/Headers")).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        now[0] = 10.5
        assert (await c.get("/REST/1/Headers")).status_code == 200
    assert app.state.stats.rejected_quota == 2


async def test_concurrency_cap_when_configured() -> None:
    app = _app(concurrency=1, faults=FaultConfig(latency_ms=30))
    statuses: list[int] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=OATU
    ) as c:

        async def one() -> None:
            statuses.append((await c.get("/REST/1/Headers")).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(one)
    assert sorted(statuses) == [200, 429, 429]
    assert app.state.stats.max_in_flight == 1


async def test_fault_layer_inside_auth_keeps_identity_headers() -> None:
    app = _app(faults=FaultConfig(error_rate=1.0, seed=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=OATU
    ) as c:
        r = await c.get("/REST/1/Files")
    assert r.status_code in (500, 502, 503)
    assert r.headers["X-Username"] == ADMIN_USERNAME


async def test_anonymous_fallback_mode(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.anonymous_fallback = True
    r = await client.get("/REST/1/Files", headers={"Authorization": "OATU 42:wrong"})
    assert r.status_code == 200 and r.headers["X-Username"] == "anonymous"
    assert "X-SessionKey" not in r.headers


async def test_declared_charset_is_used(client: httpx.AsyncClient, app: Starlette) -> None:
    app.state.settings.charset = "windows-1252"
    await client.put("/REST/1/Projects/1", json={"name": "Café façade"}, headers=OATU)
    r = await client.get("/REST/1/Projects/1", headers=OATU)
    assert r.headers["content-type"] == "application/json; charset=windows-1252"
    assert "Café façade".encode("windows-1252") in r.content
    # httpx's .json() assumes UTF-8 here; decoding by the declared charset is the client's job.
    assert json.loads(r.text)["name"] == "Café façade"
