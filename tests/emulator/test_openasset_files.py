"""OpenAsset emulator, files: multipart upload, replacement, size downloads, GET-over-POST."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import create_app

AUTH = {"Authorization": "OATU 9:file-secret"}


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(token="9:file-secret", size=0.1, seed=2))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=AUTH
    ) as c:
        yield c


def _plain_category(app: Starlette) -> int:
    return next(
        int(c["id"])
        for c in app.state.store.table("Categories").values()
        if not c["projects_category"]
    )


def _project_category(app: Starlette) -> int:
    return next(
        int(c["id"]) for c in app.state.store.table("Categories").values() if c["projects_category"]
    )


def _size_url(entry: dict[str, object]) -> str:
    root = str(entry["http_root"])
    assert root.startswith("//")
    return "http:" + root + quote(str(entry["http_relative_path"]))


async def test_upload_array_creates_files_and_sizes(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    cat, pcat = _plain_category(app), _project_category(app)
    body = [
        {
            "original_filename": "façade one.jpg",
            "category_id": cat,
            "caption": "first",
            "keywords": [{"id": 1}],
        },
        {"original_filename": "two.png", "category_id": pcat},  # needs a project_id
        {"original_filename": "missing.jpg", "category_id": cat},  # no file part
        {"original_filename": "three.tif", "category_id": pcat, "project_id": 1, "rank": 3},
    ]
    files = [
        ("file", ("façade one.jpg", b"A" * 1000, "image/jpeg")),
        ("file", ("two.png", b"B" * 10, "image/png")),
        ("file", ("three.tif", b"C" * 2048, "image/tiff")),
    ]
    r = await client.post("/REST/1/Files", data={"_jsonBody": json.dumps(body)}, files=files)
    assert r.status_code == 200
    out = r.json()
    assert len(out) == 4
    assert out[0]["original_filename"] == "façade one.jpg" and out[0]["caption"] == "first"
    assert out[0]["md5_at_upload"] == _md5(b"A" * 1000)
    assert out[1]["http_status_code"] == "400" and out[2]["http_status_code"] == "400"
    assert out[3]["project_id"] == 1 and out[3]["rank"] == 3
    fid = out[0]["id"]
    assert (await client.get(f"/REST/1/Files/{fid}/Keywords")).json() == [{"id": 1}]
    sizes = (await client.get(f"/REST/1/Files/{fid}/Sizes")).json()
    assert sizes[0]["id"] == 1 and sizes[0]["filesize"] == 1000
    # Size files need no credentials; HEAD gives Content-Length.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as anon:
        url = _size_url(sizes[0])
        got = await anon.get(url)
        assert got.status_code == 200 and got.content == b"A" * 1000
        head = await anon.head(url)
        assert head.status_code == 200 and head.headers["Content-Length"] == "1000"
        assert head.content == b""
        small = await anon.get(_size_url(sizes[1]))
        assert small.status_code == 200 and len(small.content) == sizes[1]["filesize"]
    assert app.state.stats.uploads == 2 and app.state.stats.downloads == 3


async def test_upload_single_object_and_missing_json(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    cat = _plain_category(app)
    one = await client.post(
        "/REST/1/Files",
        data={"_jsonBody": json.dumps({"original_filename": "x.jpg", "category_id": cat})},
        files=[("file", ("x.jpg", b"xyz", "image/jpeg"))],
    )
    assert one.status_code == 201 and one.json()["original_filename"] == "x.jpg"
    none = await client.post("/REST/1/Files", files=[("file", ("x.jpg", b"xyz", "image/jpeg"))])
    assert none.status_code == 400
    assert none.json()["error_message"] == "No JSON body provided for POST request"


async def test_seeded_size_downloads_and_refusals(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    odd = next(f for f in app.state.store.table("Files").values() if " " in f["filename"])
    sizes = (await client.get(f"/REST/1/Files/{odd['id']}", params={"sizes": "all"})).json()[
        "sizes"
    ]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as anon:
        for entry in sizes:
            r = await anon.get(_size_url(entry))
            assert r.status_code == 200 and len(r.content) == entry["filesize"]
        app.state.settings.refuse_original = True
        refused = await anon.get(_size_url(sizes[0]))
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
        assert (await anon.get(_size_url(sizes[1]))).status_code == 200
        wrong = await anon.get("http://127.0.0.1/storage/1/2/not-the-name.jpg")
        assert wrong.status_code == 403


async def test_replace_content(client: httpx.AsyncClient, app: Starlette) -> None:
    cat = _plain_category(app)
    made = await client.post(
        "/REST/1/Files",
        data={"_jsonBody": json.dumps([{"original_filename": "r.jpg", "category_id": cat}])},
        files=[("file", ("r.jpg", b"old", "image/jpeg"))],
    )
    fid = made.json()[0]["id"]
    new = await client.put(
        f"/REST/1/Files/{fid}",
        data={"_jsonBody": json.dumps({"original_filename": "r2.jpg"})},
        files=[("file", ("r2.jpg", b"brand new bytes", "image/jpeg"))],
    )
    assert new.status_code == 200
    assert new.json()["md5_now"] == _md5(b"brand new bytes")
    assert new.json()["md5_at_upload"] == _md5(b"old")
    assert new.json()["replaced"] != "" and new.json()["replaced_user_id"] == 1
    other_ext = await client.put(
        f"/REST/1/Files/{fid}", files=[("file", ("r2.png", b"png", "image/png"))]
    )
    assert other_ext.status_code == 400 and other_ext.json()["http_status_code"] == "400"
    mismatch = await client.put(
        f"/REST/1/Files/{fid}",
        data={"_jsonBody": json.dumps({"original_filename": "other.jpg"})},
        files=[("file", ("r3.jpg", b"x", "image/jpeg"))],
    )
    assert mismatch.status_code == 400
    by_collection = await client.put(
        "/REST/1/Files",
        data={"_jsonBody": json.dumps([{"id": fid, "original_filename": "r4.jpg"}])},
        files=[("file", ("r4.jpg", b"fourth", "image/jpeg"))],
    )
    assert by_collection.json()[0]["md5_now"] == _md5(b"fourth")
    sizes = (await client.get(f"/REST/1/Files/{fid}/Sizes")).json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as anon:
        assert (await anon.get(_size_url(sizes[0]))).content == b"fourth"


async def test_get_over_post_method_override(client: httpx.AsyncClient, app: Starlette) -> None:
    ids = ",".join(str(i) for i in range(1, 200))
    r = await client.post(
        "/REST/1/Files",
        data={"id": ids, "limit": "0", "displayFields": "id"},
        headers={"X-HTTP-Method-Override": "GET"},
    )
    assert r.status_code == 200
    expected = sorted(
        i for i, f in app.state.store.table("Files").items() if i < 200 and f["alive"]
    )
    assert [row["id"] for row in r.json()] == expected
    multipart = await client.post(
        "/REST/1/Keywords",
        files={"limit": (None, "3"), "orderBy": (None, "idDesc")},
        headers={"X-HTTP-Method-Override": "GET"},
    )
    assert len(multipart.json()) == 3
    assert multipart.json()[0]["id"] == max(app.state.store.table("Keywords"))
    app.state.settings.version = "8.1.11"
    client.headers.pop("Authorization")
    old = await client.post(
        "/REST/1/Keywords",
        data={"limit": "3"},
        headers={"X-HTTP-Method-Override": "GET"},
        auth=("admin", "file-secret"),
    )
    assert old.status_code == 400  # treated as a POST without JSON
