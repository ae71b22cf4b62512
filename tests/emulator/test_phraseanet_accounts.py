"""Phraseanet emulator: account self-service, upload queue, substitute, v2 orders, admin routes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import (
    EMULATOR_ADMIN_PASSWORD,
    EMULATOR_ADMIN_TOKEN,
    EMULATOR_ADMIN_USERNAME,
    EMULATOR_CLIENT_ID,
    create_app,
)

TOKEN = "acct-token"
AUTH = {"Authorization": f"OAuth {TOKEN}"}
ADMIN = {"Authorization": f"OAuth {EMULATOR_ADMIN_TOKEN}"}


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(seed=2, token=TOKEN, size=0.05))


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


def error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    meta = r.json()["meta"]
    assert meta["http_code"] == status
    return str(meta["error_details"])


# -- /me writes -----------------------------------------------------------------------------------


async def test_update_account_changes_the_profile(client: httpx.AsyncClient) -> None:
    body = {"first_name": "Ada", "city": "Lyon"}
    assert resp(await client.post("/api/v1/me/update-account/", json=body))["success"] is True
    user = resp(await client.get("/api/v1/me/"))["user"]
    assert (user["first_name"], user["city"], user["country"]) == ("Ada", "Lyon", None)
    assert "unknown" in error(
        await client.post("/api/v1/me/update-account/", json={"is_admin": "1"}), 400
    )
    bad = await client.post(
        "/api/v1/me/update-account/", content=b"{nope", headers={"content-type": "application/json"}
    )
    error(bad, 422)


async def test_update_password(client: httpx.AsyncClient, app: Starlette) -> None:
    path = "/api/v1/me/update-password/"
    wrong = resp(await client.post(path, json={"oldPassword": "x", "password": "longenough"}))
    assert wrong["success"] is False and wrong["message"]
    old = app.state.store.user.password
    ok = resp(await client.post(path, json={"oldPassword": old, "password": "new-password-1"}))
    assert ok["success"] is True and app.state.store.user.password == "new-password-1"
    error(await client.post(path, json={"password": "only"}), 400)


async def test_request_collections(client: httpx.AsyncClient, app: Starlette) -> None:
    path = "/api/v1/me/request-collections/"
    assert resp(await client.post(path, json={"collections": [5, 6, 1]}))["success"] is True
    assert app.state.store.user.demands == [5, 6]  # base 1 is already reachable
    error(await client.post(path, json={"collections": [999]}), 404)
    error(await client.post(path, json={"collections": "5"}), 400)


async def test_delete_account_revokes_the_token(client: httpx.AsyncClient) -> None:
    assert resp(await client.delete("/api/v1/me/"))["success"] is True
    after = await client.get("/api/v1/me/")
    assert after.status_code == 401 and after.content == b""


async def test_upload_enqueue_validates_with_422(client: httpx.AsyncClient, app: Starlette) -> None:
    good = {
        "assets": ["a", "b"],
        "publisher": "me",
        "token": "t",
        "base_url": "https://uploader.example",
        "commit_id": "c1",
    }
    data = resp(await client.post("/api/v1/upload/enqueue/", json=good))["data"]
    assert data["commit_id"] == "c1" and data["assets"] == 2
    assert len(app.state.store.enqueued) == 1
    missing = {k: v for k, v in good.items() if k != "commit_id"}
    assert "commit_id" in error(await client.post("/api/v1/upload/enqueue/", json=missing), 422)


# -- substitute -----------------------------------------------------------------------------------


async def test_substitute_replaces_one_subdef(client: httpx.AsyncClient, app: Starlette) -> None:
    rec = next(r for r in app.state.store.records.values() if r.base_id == 1 and not r.is_story)
    fields = {"databox_id": str(rec.databox_id), "record_id": str(rec.record_id)}
    files = {"file": ("new.jpg", b"\xff\xd8new-preview")}
    out = resp(
        await client.post(
            "/api/v1/embed/substitute/",
            data={**fields, "name": "preview", "adapt": "1"},
            files=files,
        )
    )
    assert out["name"] == "preview" and out["substituted"] is True and out["adapt"] is True
    assert out["filesize"] == len(b"\xff\xd8new-preview")
    media = await client.get(out["url"])
    assert media.content == b"\xff\xd8new-preview"
    embed = resp(await client.get(f"/api/v1/records/{rec.databox_id}/{rec.record_id}/embed/"))
    assert {e["name"]: e["substituted"] for e in embed["embed"]}["preview"] is True
    error(
        await client.post(
            "/api/v1/embed/substitute/", data={**fields, "name": "nope"}, files=files
        ),
        400,
    )
    press = next(r for r in app.state.store.records.values() if r.base_id == 3)
    no_right = {"databox_id": "1", "record_id": str(press.record_id), "name": "preview"}
    error(await client.post("/api/v1/embed/substitute/", data=no_right, files=files), 401)
    error(await client.post("/api/v1/embed/substitute/", data={**fields, "name": "preview"}), 400)


# -- v2 orders ------------------------------------------------------------------------------------


async def test_orders_pages_and_includes(client: httpx.AsyncClient) -> None:
    first = resp(await client.get("/api/v2/orders/", params={"per_page": "3"}))
    pagination = first["meta"]["pagination"]
    assert pagination["per_page"] == 10  # clamped to 10-100
    assert (pagination["total"], pagination["count"], pagination["total_pages"]) == (12, 10, 2)
    assert "next" in pagination["links"] and "elements" not in first["data"][0]
    second = resp(
        await client.get("/api/v2/orders/", params={"page": "2", "includes[]": "elements"})
    )
    assert second["meta"]["pagination"]["count"] == 2
    element = second["data"][0]["elements"]["data"][0]
    assert set(element) >= {"id", "record", "status"}
    ids = [o["id"] for o in first["data"] + second["data"]]
    assert len(set(ids)) == 12


async def test_order_lifecycle(client: httpx.AsyncClient, app: Starlette) -> None:
    recs = [r for r in app.state.store.records.values() if r.base_id == 1 and not r.is_story][:2]
    body = {
        "data": {
            "usage": "press kit",
            "deadline": "2031-01-02T03:04:05+00:00",
            "records": [{"databox_id": r.databox_id, "record_id": r.record_id} for r in recs],
        }
    }
    order = resp(await client.post("/api/v2/orders/", json=body))["data"]
    assert order["usage"] == "press kit" and order["deadline"].startswith("2031-01-02")
    elements = order["elements"]["data"]
    assert [e["status"] for e in elements] == ["pending", "pending"]
    oid = order["id"]
    error(await client.get(f"/api/v2/orders/{oid}/archive"), 404)
    accept = [{"id": elements[0]["id"]}]
    assert resp(await client.post(f"/api/v2/orders/{oid}/accept", json=accept)) == {}
    deny = [{"id": elements[1]["id"]}]
    assert resp(await client.post(f"/api/v2/orders/{oid}/deny", json=deny)) == {}
    got = resp(await client.get(f"/api/v2/orders/{oid}", params={"includes[]": "elements"}))
    statuses = [e["status"] for e in got["data"]["elements"]["data"]]
    assert statuses == ["accepted", "rejected"]
    archive = await client.get(f"/api/v2/orders/{oid}/archive")
    assert archive.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist() == [recs[0].original_name]
    error(await client.post(f"/api/v2/orders/{oid}/accept", json={"id": 1}), 400)
    error(await client.post(f"/api/v2/orders/{oid}/accept", json=[{"id": 10**6}]), 400)


async def test_order_refusals(client: httpx.AsyncClient, app: Starlette) -> None:
    theirs = next(o.id for o in app.state.store.orders.values() if o.owner_id != 1)
    error(await client.get(f"/api/v2/orders/{theirs}"), 403)
    error(await client.get("/api/v2/orders/99999"), 404)
    clip = next(r for r in app.state.store.records.values() if r.base_id == 4)
    no_master = {
        "data": {"usage": "u", "records": [{"databox_id": 2, "record_id": clip.record_id}]}
    }
    error(await client.post("/api/v2/orders/", json=no_master), 400)
    error(await client.post("/api/v2/orders/", json={"data": {"records": []}}), 400)
    assert (await client.get("/api/v2/orders/1/")).status_code == 404  # declared without slash


# -- admin ----------------------------------------------------------------------------------------

ADMIN_GETS = [
    "/api/v1/monitor/scheduler/",
    "/api/v1/monitor/tasks/",
    "/api/v1/monitor/phraseanet/",
    "/api/v1/monitor/task/1/",
    "/api/v3/monitor/data/",
    "/api/v3/databoxes/1/monitor/data/",
]
ADMIN_POSTS = [
    "/api/v1/monitor/task/1/",
    "/api/v1/monitor/task/1/start/",
    "/api/v1/monitor/task/1/stop/",
    "/api/v1/accounts/reset-password/emulator@example.org/",
    "/api/v1/accounts/update-password/sometoken/",
    "/api/v1/accounts/access-demand/",
    "/api/v1/accounts/unlock/sometoken/",
]


async def test_admin_routes_refuse_a_plain_user(client: httpx.AsyncClient) -> None:
    for path in ADMIN_GETS:
        assert error(await client.get(path), 401) == "You are not authorized"
    for path in ADMIN_POSTS:
        assert error(await client.post(path, json={}), 401) == "You are not authorized"


async def test_monitor_answers_the_admin(client: httpx.AsyncClient) -> None:
    tasks = resp(await client.get("/api/v1/monitor/tasks/", headers=ADMIN))["tasks"]
    assert [t["id"] for t in tasks] == [1, 2, 3]
    assert resp(await client.get("/api/v1/monitor/scheduler/", headers=ADMIN))["scheduler"]
    assert resp(await client.get("/api/v1/monitor/phraseanet/", headers=ADMIN))["phraseanet"]
    stopped = resp(await client.post("/api/v1/monitor/task/1/stop/", headers=ADMIN))["task"]
    assert stopped["status"] == "stopped" and stopped["pid"] is None
    started = resp(await client.post("/api/v1/monitor/task/1/start/", headers=ADMIN))["task"]
    assert started["status"] == "started" and started["pid"]
    edit = {"title": "Renamed", "autostart": "0"}
    task = resp(await client.post("/api/v1/monitor/task/3/", data=edit, headers=ADMIN))["task"]
    assert (task["title"], task["auto_start"]) == ("Renamed", False)
    error(await client.post("/api/v1/monitor/task/3/", data={"autostart": "y"}, headers=ADMIN), 400)
    error(await client.get("/api/v1/monitor/task/99/", headers=ADMIN), 404)
    data = resp(await client.get("/api/v3/monitor/data/", headers=ADMIN))["databoxes"]
    assert [d["databox_id"] for d in data] == [1, 2, 3]


async def test_account_routes_for_the_admin(client: httpx.AsyncClient, app: Starlette) -> None:
    reset = await client.post(
        "/api/v1/accounts/reset-password/emulator@example.org/", headers=ADMIN
    )
    token = resp(reset)["reset_password_token"]
    path = f"/api/v1/accounts/update-password/{token}/"
    assert resp(await client.post(path, data={"password": "fresh-pass-9"}, headers=ADMIN))
    assert app.state.store.user.password == "fresh-pass-9"
    error(await client.post(path, data={"password": "fresh-pass-9"}, headers=ADMIN), 400)
    error(await client.post("/api/v1/accounts/reset-password/x@y.z/", headers=ADMIN), 404)
    demand = await client.post(
        "/api/v1/accounts/access-demand/",
        json={"email": "n@x.org", "collections": [1]},
        headers=ADMIN,
    )
    unlock = resp(demand)["token"]
    assert resp(await client.post(f"/api/v1/accounts/unlock/{unlock}/", headers=ADMIN))
    error(await client.post(f"/api/v1/accounts/unlock/{unlock}/", headers=ADMIN), 400)


async def test_admin_password_grant(client: httpx.AsyncClient) -> None:
    form = {
        "grant_type": "password",
        "client_id": EMULATOR_CLIENT_ID,
        "username": EMULATOR_ADMIN_USERNAME,
        "password": EMULATOR_ADMIN_PASSWORD,
    }
    token = (await client.post("/api/oauthv2/token", data=form)).json()["access_token"]
    headers = {"Authorization": f"OAuth {token}"}
    assert resp(await client.get("/api/v1/monitor/tasks/", headers=headers))["tasks"]
