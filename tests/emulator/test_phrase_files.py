"""Phrase emulator files: sync and async downloads, multipart uploads, validators after writes."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

from phrase_support import client, main_project, make_app


async def test_sync_download_formats() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        url = f"/projects/{pid}/locales/en/download"
        simple = await c.get(url, params={"file_format": "simple_json"})
        assert simple.status_code == 200
        flat = simple.json()
        assert len(flat) == 125 and flat["app.label_00000"] == "App label 0 (en)"
        nested = (await c.get(url, params={"file_format": "nested_json"})).json()
        assert nested["app"]["label_00000"] == "App label 0 (en)"
        chrome = (await c.get(url, params={"file_format": "json"})).json()
        assert chrome["app.label_00000"]["message"] == "App label 0 (en)"
        yml = await c.get(url, params={"file_format": "yml"})
        assert yml.text.startswith('"en":\n  "app":\n')
        rows = list(csv.reader(io.StringIO((await c.get(url, params={"file_format": "csv"})).text)))
        assert rows[0][:2] == ["key_name", "en"] and len(rows) == 126
        xlf = await c.get(url, params={"file_format": "xlf"})
        root = ET.fromstring(xlf.content)  # noqa: S314 - our own output
        assert root.tag.endswith("xliff")
        props = (await c.get(url, params={"file_format": "properties"})).text
        assert "app.label_00000=App label 0 (en)\n" in props
        tagged = (await c.get(url, params={"file_format": "simple_json", "tags": "legal"})).json()
        assert 0 < len(tagged) < 125
        utf16 = await c.get(url, params={"file_format": "simple_json", "encoding": "UTF-16"})
        assert json.loads(utf16.content.decode("utf-16")) == flat
        assert 'filename="en.simple_json"' in simple.headers["content-disposition"]


async def test_download_errors_and_conditional_get() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        url = f"/projects/{pid}/locales/en/download"
        unknown = await c.get(url, params={"file_format": "docx-nope"})
        assert unknown.status_code == 400 and "message" in unknown.json()
        missing = await c.get(url)
        assert missing.status_code == 400
        assert (
            await c.get(f"/projects/{pid}/locales/xx/download?file_format=yml")
        ).status_code == 404
        first = await c.get(url, params={"file_format": "yml"})
        etag = first.headers["etag"]
        again = await c.get(url, params={"file_format": "yml"}, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        # Any write changes the validators, even one that does not touch this locale.
        await c.post(f"/projects/{pid}/tags", json={"name": "fresh"})
        after = await c.get(url, params={"file_format": "yml"}, headers={"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag


async def test_async_download_flow_and_expiry() -> None:
    app, clock = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        de = (await c.get(f"/projects/{pid}/locales/de")).json()
        base = f"/projects/{pid}/locales/{de['id']}/downloads"
        created = await c.post(
            base, json={"file_format": "simple_json", "include_empty_translations": True}
        )
        assert created.status_code == 201
        body = created.json()
        assert body["status"] == "processing" and body["result"] is None
        poll = (await c.get(f"{base}/{body['id']}")).json()
        assert poll["status"] == "processing"
        done = (await c.get(f"{base}/{body['id']}")).json()
        assert done["status"] == "completed" and done["completed_at"]
        url = done["result"]["url"]
        assert url.startswith("http://127.0.0.1/")
        before = app.state.stats.counted
        fetched = await c.get(url, headers={"Authorization": ""})
        assert fetched.status_code == 200
        content = fetched.json()
        assert len(content) == 125 and "etag" in fetched.headers
        assert app.state.stats.counted == before
        cached = await c.get(url, headers={"If-None-Match": fetched.headers["etag"]})
        assert cached.status_code == 304
        clock.advance(901)
        gone = await c.get(f"{base}/{body['id']}")
        assert gone.status_code == 410
        assert "x-rate-limit-limit" in gone.headers
        assert (await c.get(url)).status_code == 410
        assert (await c.post(base, json={})).status_code == 422
        assert (await c.post(base, json={"file_format": "nope"})).status_code == 400
        assert (await c.get(f"{base}/{'0' * 32}")).status_code == 404


async def test_async_download_completes_by_time_too() -> None:
    app, clock = make_app()
    app.state.async_polls = 100
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        base = f"/projects/{pid}/locales/en/downloads"
        dl = (await c.post(base, json={"file_format": "yml"})).json()
        assert (await c.get(f"{base}/{dl['id']}")).json()["status"] == "processing"
        clock.advance(app.state.async_delay)
        assert (await c.get(f"{base}/{dl['id']}")).json()["status"] == "completed"


async def test_multipart_upload_becomes_visible_after_processing() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        keys_url = f"/projects/{pid}/keys"
        etag = (await c.get(keys_url)).headers["etag"]
        payload = json.dumps({"app.label_00000": "Changed", "brand.new": "New key"}).encode()
        resp = await c.post(
            f"/projects/{pid}/uploads",
            data={
                "file_format": "simple_json",
                "locale_id": "en",
                "tags": "import-1,batch",
                "update_translations": "True",
                "format_options[escape_single_quotes]": "true",
                "locale_mapping[en]": "2",
            },
            files={"file": ("en.json", payload, "application/json")},
        )
        assert resp.status_code == 201, resp.text
        up = resp.json()
        assert up["state"] == "initialized" and up["tags"] == ["import-1", "batch"]
        assert (await c.get(keys_url, headers={"If-None-Match": etag})).status_code == 200
        show = f"/projects/{pid}/uploads/{up['id']}"
        assert (await c.get(show)).json()["state"] == "processing"
        done = (await c.get(show)).json()
        assert done["state"] == "success"
        assert done["summary"]["translation_keys_created"] == 1
        assert done["summary"]["translations_updated"] == 1
        new = (await c.get(keys_url, params={"q": "name:brand.new"})).json()
        assert new[0]["tags"] == ["import-1", "batch"]
        flat = (
            await c.get(
                f"/projects/{pid}/locales/en/download", params={"file_format": "simple_json"}
            )
        ).json()
        assert flat["app.label_00000"] == "Changed" and flat["brand.new"] == "New key"
        listed = (await c.get(f"/projects/{pid}/uploads")).json()
        assert up["id"] in {u["id"] for u in listed}


async def test_upload_roundtrip_of_every_importable_format() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        for fmt in ("yml", "simple_json", "nested_json", "json", "csv", "properties", "strings"):
            body = (
                await c.get(f"/projects/{pid}/locales/de/download", params={"file_format": fmt})
            ).content
            resp = await c.post(
                f"/projects/{pid}/uploads",
                data={"file_format": fmt, "locale_id": "fr"},
                files={"file": (f"de.{fmt}", body)},
            )
            assert resp.status_code == 201, fmt
            uid = resp.json()["id"]
            await c.get(f"/projects/{pid}/uploads/{uid}")
            done = (await c.get(f"/projects/{pid}/uploads/{uid}")).json()
            assert done["state"] == "success", fmt
            assert done["summary"]["translation_keys_created"] == 0, fmt
            assert done["summary"]["upload_total_translations"] > 100, fmt


async def test_upload_validation() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        url = f"/projects/{pid}/uploads"
        file = {"file": ("a.json", b"{}")}
        cases = [
            ({"locale_id": "en"}, file, 422, "file_format"),
            ({"file_format": "simple_json"}, file, 422, "locale_id"),
            ({"file_format": "simple_json", "locale_id": "en"}, None, 422, "file"),
            ({"file_format": "bogus", "locale_id": "en"}, file, 422, "file_format"),
            ({"file_format": "simple_json", "locale_id": "en", "update_translations": "maybe"},
             file, 422, "update_translations"),
        ]  # fmt: skip
        for data, files, status, field in cases:
            resp = await c.post(url, data=data, files=files or {"x": ("x", b"")})
            assert resp.status_code == status, data
            assert resp.json()["errors"][0]["field"] == field
        emoji = await c.post(
            url,
            data={"file_format": "simple_json", "locale_id": "en", "convert_emoji": "true"},
            files=file,
        )
        assert emoji.status_code == 400
        broken = await c.post(
            url, data={"file_format": "simple_json", "locale_id": "en"}, files={"file": ("a", b"{")}
        )
        assert broken.status_code == 201
        await c.get(f"{url}/{broken.json()['id']}")
        assert (await c.get(f"{url}/{broken.json()['id']}")).json()["state"] == "error"


async def test_download_query_bools_and_deep_objects() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        url = f"/projects/{pid}/locales/es/download"
        empty = (await c.get(url, params={"file_format": "simple_json"})).json()
        assert empty == {}
        params = {
            "file_format": "simple_json",
            "include_empty_translations": "True",
            "format_options[escape_single_quotes]": "true",
            "custom_metadata_filters[tone]": "friendly",
        }
        full = await c.get(url, params=params)
        assert full.status_code == 200
        assert len(full.json()) == 125 and set(full.json().values()) == {""}
        fallback = (
            await c.get(url, params={"file_format": "simple_json", "fallback_locale_id": "en"})
        ).json()
        assert fallback["app.label_00000"] == "App label 0 (en)"
