"""OpenAsset emulator: the legacy signed-token flow (`AuthenticationTokens` + `OAT id:sig`), JWT."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from email.utils import formatdate

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import ADMIN_USERNAME, create_app
from asyncdam.emulator.openasset.auth import signature

SECRET = "legacy-secret-value"
UA = "legacy-client/1.0"


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(token=f"3:{SECRET}", size=0.05))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers={"User-Agent": UA}
    ) as c:
        yield c


async def _token(client: httpx.AsyncClient) -> tuple[str, str]:
    created = await client.post(
        "/REST/1/AuthenticationTokens", json={"name": "nightly sync"}, auth=(ADMIN_USERNAME, SECRET)
    )
    assert created.status_code == 200, created.text
    doc = created.json()
    return str(doc["id"]), doc["token"]


def _signed(ident: str, token: str, user_agent: str = UA) -> dict[str, str]:
    date = formatdate(usegmt=True)
    return {"Authorization": f"OAT {ident}:{signature(token, user_agent, date)}", "X-Date": date}


async def test_signed_requests_run_as_the_token_owner(client: httpx.AsyncClient) -> None:
    ident, token = await _token(client)
    ok = await client.get("/REST/1/Keywords?limit=1", headers=_signed(ident, token))
    assert ok.status_code == 200 and ok.headers["X-Username"] == ADMIN_USERNAME
    assert ok.headers["X-SessionKey"]


async def test_bad_signatures_are_refused(client: httpx.AsyncClient) -> None:
    ident, token = await _token(client)
    other_agent = _signed(ident, token, user_agent="someone-else")
    assert (await client.get("/REST/1/Keywords", headers=other_agent)).status_code == 401
    no_date = {"Authorization": _signed(ident, token)["Authorization"]}
    assert (await client.get("/REST/1/Keywords", headers=no_date)).status_code == 401
    unknown = _signed("999", token)
    assert (await client.get("/REST/1/Keywords", headers=unknown)).status_code == 401


async def test_token_creation_needs_a_user_and_a_name(client: httpx.AsyncClient) -> None:
    anonymous = await client.post("/REST/1/AuthenticationTokens", json={"name": "x"})
    assert anonymous.status_code == 403
    assert anonymous.json()["error_message"] == "Access denied to POST AuthenticationTokens"
    unnamed = await client.post(
        "/REST/1/AuthenticationTokens", json={}, auth=(ADMIN_USERNAME, SECRET)
    )
    assert unnamed.status_code == 400


async def test_jwt_for_a_logged_in_user(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/REST/1/JWT?service.openasset=true&expiry=60", auth=(ADMIN_USERNAME, SECRET)
    )
    assert r.status_code == 200
    _header, payload, sig = r.json()["jwt"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["exp"] - claims["iat"] == 60 and claims["sub"] == 1 and sig
    assert (await client.get("/REST/1/JWT")).status_code == 403


async def test_jwt_head_has_no_body(client: httpx.AsyncClient) -> None:
    r = await client.head("/REST/1/JWT", auth=(ADMIN_USERNAME, SECRET))
    assert r.status_code == 200 and r.content == b""
