"""Phrase emulator resources: projects, locales, keys, translations, tags, branches, jobs."""

from __future__ import annotations

import re

from phrase_support import client, main_project, make_app

HEX32 = re.compile(r"^[0-9a-f]{32}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def test_user_accounts_and_project_shapes() -> None:
    app, _ = make_app()
    async with client(app) as c:
        user = (await c.get("/user")).json()
        assert HEX32.match(user["id"]) and STAMP.match(user["created_at"])
        accounts = (await c.get("/accounts")).json()
        assert len(accounts[0]["id"]) == 8
        detail = (await c.get(f"/accounts/{accounts[0]['id']}")).json()
        assert "subscription" in detail
        assert (await c.get("/accounts/zzzzzzzz")).status_code == 404
        project = await main_project(c)
        assert project["account"]["id"] == accounts[0]["id"]
        assert "enable_branching" not in project
        shown = (await c.get(f"/projects/{project['id']}")).json()
        assert "enable_branching" in shown and shown["account"]["id"] == accounts[0]["id"]


async def test_project_crud() -> None:
    app, _ = make_app()
    async with client(app) as c:
        created = await c.post("/projects", json={"name": "New", "main_format": "simple_json"})
        assert created.status_code == 201
        pid = created.json()["id"]
        assert HEX32.match(pid)
        dup = await c.post("/projects", json={"name": "New"})
        assert dup.status_code == 422
        assert dup.json()["errors"][0] == {
            "resource": "Project",
            "field": "name",
            "message": "has already been taken",
        }
        blank = await c.post("/projects", json={})
        assert blank.status_code == 422 and blank.json()["message"] == "Validation Failed"
        updated = await c.patch(f"/projects/{pid}", json={"name": "Renamed"})
        assert updated.json()["name"] == "Renamed"
        deleted = await c.delete(f"/projects/{pid}")
        assert deleted.status_code == 204 and deleted.content == b""
        assert (await c.get(f"/projects/{pid}")).status_code == 404


async def test_locales_by_id_or_name_and_crud() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        locales = (await c.get(f"/projects/{pid}/locales")).json()
        assert len(locales) == 8 and locales[0]["default"] is True
        de = next(loc for loc in locales if loc["name"] == "de")
        assert (await c.get(f"/projects/{pid}/locales/de")).json()["id"] == de["id"]
        shown = (await c.get(f"/projects/{pid}/locales/{de['id']}")).json()
        assert shown["statistics"]["keys_total_count"] == 125
        new = await c.post(f"/projects/{pid}/locales", json={"name": "sv", "code": "sv-SE"})
        assert new.status_code == 201
        assert (
            await c.post(f"/projects/{pid}/locales", json={"name": "sv", "code": "x"})
        ).status_code == 422
        patched = await c.patch(f"/projects/{pid}/locales/sv", json={"rtl": "true"})
        assert patched.json()["rtl"] is True
        assert (await c.delete(f"/projects/{pid}/locales/sv")).status_code == 204
        assert (await c.get(f"/projects/{pid}/locales/sv")).status_code == 404


async def test_keys_filter_crud_and_delete_by_query() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        base = f"/projects/{pid}/keys"
        web = (await c.get(base, params={"q": "tags:web", "per_page": 100})).json()
        assert web and all("web" in k["tags"] for k in web)
        one = web[0]
        by_name = (await c.get(base, params={"q": f"name:{one['name']}"})).json()
        assert [k["id"] for k in by_name] == [one["id"]]
        by_ids = (await c.get(base, params={"q": f"ids:{one['id']}"})).json()
        assert [k["id"] for k in by_ids] == [one["id"]]
        created = await c.post(
            base,
            json={"name": "checkout.title", "tags": ["shop"], "default_translation_content": "Pay"},
        )
        assert created.status_code == 201
        kid = created.json()["id"]
        assert created.json()["creator"]["username"] == "emulator"
        dup = await c.post(base, json={"name": "checkout.title"})
        assert dup.status_code == 422
        untranslated = (
            await c.get(base, params={"q": "translated:false", "locale_id": "en", "per_page": 100})
        ).json()
        assert kid not in {k["id"] for k in untranslated}
        patched = await c.patch(f"{base}/{kid}", json={"description": "Checkout", "plural": True})
        assert patched.status_code == 200 and patched.json()["plural"] is True
        bad = await c.patch(f"{base}/{kid}", json={"max_characters_allowed": "lots"})
        assert bad.status_code == 422
        assert (await c.get(f"{base}/{kid}")).json()["description"] == "Checkout"
        tagged = await c.patch(f"{base}/tag", json={"q": "name:checkout.title", "tags": "x1"})
        assert tagged.json() == {"records_affected": 1}
        assert (await c.delete(f"{base}/{kid}")).status_code == 204
        assert (await c.get(f"{base}/{kid}")).status_code == 404
        removed = await c.request("DELETE", base, params={"q": "tags:legal"})
        assert removed.status_code == 200
        assert removed.json()["records_affected"] > 0
        left = (await c.get(base, params={"q": "tags:legal"})).json()
        assert left == []


async def test_translations_lists_crud_and_actions() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        listed = await c.get(f"/projects/{pid}/translations", params={"per_page": 100})
        assert listed.status_code == 200 and "etag" in listed.headers
        by_locale = (await c.get(f"/projects/{pid}/locales/de/translations")).json()
        assert {t["locale"]["name"] for t in by_locale} == {"de"}
        key = (await c.get(f"/projects/{pid}/keys")).json()[0]
        by_key = (await c.get(f"/projects/{pid}/keys/{key['id']}/translations")).json()
        assert {t["key"]["id"] for t in by_key} == {key["id"]} and len(by_key) == 3
        created = await c.post(
            f"/projects/{pid}/translations",
            json={"locale_id": "es", "key_id": key["id"], "content": "Hola"},
        )
        assert created.status_code == 201
        tid = created.json()["id"]
        assert created.json()["word_count"] == 1
        bad = await c.post(f"/projects/{pid}/translations", json={"locale_id": "es"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "key_id"
        upd = await c.patch(f"/projects/{pid}/translations/{tid}", json={"content": "Hola!"})
        assert upd.json()["content"] == "Hola!"
        unverify = await c.patch(f"/projects/{pid}/translations/{tid}/unverify")
        assert unverify.json()["unverified"] is True
        shown = (await c.get(f"/projects/{pid}/translations/{tid}")).json()
        assert shown["state"] == "unverified"
        flagged = (
            await c.get(
                f"/projects/{pid}/translations", params={"q": "unverified:true", "per_page": 100}
            )
        ).json()
        assert tid in {t["id"] for t in flagged}


async def test_tags_crud() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        tags = (await c.get(f"/projects/{pid}/tags")).json()
        web = next(t for t in tags if t["name"] == "web")
        assert web["keys_count"] > 0
        created = await c.post(f"/projects/{pid}/tags", json={"name": "release 1/2"})
        assert created.status_code == 201 and created.json()["keys_count"] == 0
        shown = await c.get(f"/projects/{pid}/tags/release%201%2F2")
        assert shown.status_code == 200 and shown.json()["name"] == "release 1/2"
        assert (await c.post(f"/projects/{pid}/tags", json={"name": "web"})).status_code == 422
        assert (await c.delete(f"/projects/{pid}/tags/web")).status_code == 204
        keys = (await c.get(f"/projects/{pid}/keys", params={"per_page": 100})).json()
        assert all("web" not in k["tags"] for k in keys)


async def test_jobs_state_machine() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        key = (await c.get(f"/projects/{pid}/keys")).json()[0]
        created = await c.post(
            f"/projects/{pid}/jobs",
            json={
                "name": "Spring",
                "source_locale_id": "en",
                "target_locale_ids": ["de", "fr"],
                "translation_key_ids": [key["id"]],
            },
        )
        assert created.status_code == 201
        job = created.json()
        assert job["state"] == "draft" and [k["id"] for k in job["keys"]] == [key["id"]]
        jid = job["id"]
        assert (await c.post(f"/projects/{pid}/jobs/{jid}/complete")).status_code == 422
        started = await c.post(f"/projects/{pid}/jobs/{jid}/start")
        assert started.json()["state"] == "in_progress"
        patched = await c.patch(f"/projects/{pid}/jobs/{jid}", json={"briefing": "Be brief"})
        assert patched.json()["briefing"] == "Be brief"
        done = await c.post(f"/projects/{pid}/jobs/{jid}/complete")
        assert done.json()["state"] == "completed"
        listed = (await c.get(f"/projects/{pid}/jobs", params={"state": "completed"})).json()
        assert jid in {j["id"] for j in listed}
        assert (await c.delete(f"/projects/{pid}/jobs/{jid}")).status_code == 204
        assert (await c.get(f"/projects/{pid}/jobs/{jid}")).status_code == 404
        bad = await c.post(f"/projects/{pid}/jobs", json={"name": "x", "target_locale_ids": ["zz"]})
        assert bad.status_code == 422


async def test_branches_create_merge_compare_and_conflicts() -> None:
    app, clock = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        names = [b["name"] for b in (await c.get(f"/projects/{pid}/branches")).json()]
        assert names == ["feature-x"]
        created = await c.post(f"/projects/{pid}/branches", json={"name": "feat/new"})
        assert created.status_code == 201 and created.json()["state"] == "creating_branch"
        url = f"/projects/{pid}/branches/feat%2Fnew"
        assert (await c.get(url)).json()["state"] == "creating_branch"
        assert (await c.get(url)).json()["state"] == "success"
        added = await c.post(
            f"/projects/{pid}/keys", json={"name": "only.on.branch", "branch": "feat/new"}
        )
        assert added.status_code == 201
        main_keys = (
            await c.get(f"/projects/{pid}/keys", params={"q": "name:only.on.branch"})
        ).json()
        assert main_keys == []
        branch_keys = (
            await c.get(
                f"/projects/{pid}/keys", params={"q": "name:only.on.branch", "branch": "feat/new"}
            )
        ).json()
        assert len(branch_keys) == 1
        diff = (await c.get(f"{url}/compare")).json()
        assert {"name": "only.on.branch", "change_type": "created"} in diff["translation_keys"][
            "head_changes"
        ]
        assert (await c.post(f"{url}/compare", json={"direction": "merge"})).status_code == 202
        job = await c.post(f"/projects/{pid}/jobs", json={"name": "open", "branch": "feat/new"})
        assert job.status_code == 201
        conflict = await c.patch(f"{url}/merge", json={"strategy": "use_branch"})
        assert conflict.status_code == 409 and "message" in conflict.json()
        assert (await c.delete(url)).status_code == 409
        jid = job.json()["id"]
        await c.post(f"/projects/{pid}/jobs/{jid}/start", json={"branch": "feat/new"})
        await c.post(f"/projects/{pid}/jobs/{jid}/complete", json={"branch": "feat/new"})
        merged = await c.patch(f"{url}/merge", json={"strategy": "use_branch"})
        assert merged.status_code == 200 and merged.content == b""
        clock.advance(1)
        assert (await c.get(url)).json()["state"] == "merged"
        main_keys = (
            await c.get(f"/projects/{pid}/keys", params={"q": "name:only.on.branch"})
        ).json()
        assert len(main_keys) == 1
        renamed = await c.patch(url, json={"name": "feat-done"})
        assert renamed.json()["name"] == "feat-done"
        assert (await c.delete(f"/projects/{pid}/branches/feat-done")).status_code == 204
        assert (await c.get(f"/projects/{pid}/keys", params={"branch": "nope"})).status_code == 404


async def test_teams_and_membership_posts_answer_201_without_body() -> None:
    app, _ = make_app()
    async with client(app) as c:
        account = (await c.get("/accounts")).json()[0]["id"]
        pid = (await main_project(c))["id"]
        user = (await c.get("/user")).json()["id"]
        base = f"/accounts/{account}/teams"
        team = await c.post(base, json={"name": "German"})
        assert team.status_code == 201 and team.json()["projects"] == []
        tid = team.json()["id"]
        assert (await c.post(base, json={})).status_code == 400
        added = await c.post(f"{base}/{tid}/projects", json={"id": pid})
        assert added.status_code == 201 and added.content == b""
        joined = await c.post(f"{base}/{tid}/users", json={"id": user})
        assert joined.status_code == 201 and joined.content == b""
        assert (await c.post(f"{base}/{tid}/users", json={"id": "nobody"})).status_code == 404
        shown = (await c.get(f"{base}/{tid}")).json()
        assert [p["id"] for p in shown["projects"]] == [pid]
        assert [u["id"] for u in shown["users"]] == [user]
        assert (await c.delete(f"{base}/{tid}/projects/{pid}")).status_code == 204
        assert (await c.patch(f"{base}/{tid}", json={"name": "DE"})).json()["name"] == "DE"
        assert [t["name"] for t in (await c.get(base)).json()] == ["DE"]
        assert (await c.delete(f"{base}/{tid}")).status_code == 204
