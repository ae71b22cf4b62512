"""The spec-driven handler of the Phrase emulator: state, validation, parents, paging, caching."""

from __future__ import annotations

import json
from typing import Any

from phrase_support import client, main_project, make_app


async def test_webhook_lifecycle_is_stateful() -> None:
    app, clock = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        base = f"/projects/{pid}/webhooks"
        created = await c.post(
            base, json={"callback_url": "https://example.com/h", "events": "key:create,key:update"}
        )
        assert created.status_code == 201
        hook = created.json()
        assert len(hook["id"]) == 32 and hook["callback_url"] == "https://example.com/h"
        assert hook["events"] == ["key:create", "key:update"]  # a comma string in, a list out
        assert hook["created_at"] == hook["updated_at"] and hook["created_at"].endswith("Z")
        assert (await c.get(f"{base}/{hook['id']}")).json() == hook
        listed = await c.get(base)
        assert [h["id"] for h in listed.json()] == [hook["id"]]
        assert json.loads(listed.headers["pagination"])["total_count"] == 1
        assert "rel=first" in listed.headers["link"]
        clock.advance(60)
        updated = await c.patch(f"{base}/{hook['id']}", json={"active": "false"})
        assert updated.status_code == 200 and updated.json()["active"] is False
        shown = (await c.get(f"{base}/{hook['id']}")).json()
        assert shown["active"] is False and shown["updated_at"] > shown["created_at"]
        assert (await c.delete(f"{base}/{hook['id']}")).status_code == 204
        assert (await c.get(f"{base}/{hook['id']}")).status_code == 404
        assert (await c.get(f"{base}/{hook['id']}/deliveries")).status_code == 404
        assert (await c.get(base)).json() == []
    assert 500 not in app.state.stats.by_status


async def test_validation_failures_name_every_field_in_the_service_shape() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        resp = await c.post(f"/projects/{pid}/webhooks", json={"active": "perhaps"})
        assert resp.status_code == 422
        assert resp.json() == {
            "message": "Validation Failed",
            "errors": [
                {"resource": "Webhook", "field": "callback_url", "message": "can't be blank"},
                {"resource": "Webhook", "field": "active", "message": "is not a boolean"},
            ],
        }
        account = (await c.get("/accounts")).json()[0]["id"]
        bad_enum = await c.post(
            f"/accounts/{account}/automations",
            json={"name": "a", "trigger": "never", "project_ids": [pid], "status_filters": []},
        )
        assert bad_enum.status_code == 422
        fields = {e["field"]: e["message"] for e in bad_enum.json()["errors"]}
        assert fields == {
            "trigger": "is not included in the list",
            "status_filters": "can't be blank",
        }
        assert (await c.post(f"/projects/{pid}/webhooks", content=b"{")).status_code == 400


async def test_missing_parents_answer_404_like_the_built_routes() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        account = (await c.get("/accounts")).json()[0]["id"]
        assert (await c.get(f"/projects/{'0' * 32}/webhooks")).status_code == 404
        assert (await c.get(f"/projects/{pid}/keys/{'0' * 32}/comments")).status_code == 404
        assert (await c.get(f"/projects/{pid}/jobs/{'0' * 32}/comments")).status_code == 404
        assert (await c.get("/accounts/zzzzzzzz/glossaries")).status_code == 404
        no_branch = await c.get(f"/projects/{pid}/webhooks", params={"branch": "nope"})
        assert no_branch.status_code == 404
        glossary = (await c.post(f"/accounts/{account}/glossaries", json={"name": "G"})).json()
        terms = f"/accounts/{account}/glossaries/{glossary['id']}/terms"
        term = await c.post(terms, json={"term": "app"})
        assert term.status_code == 201 and term.json()["term"] == "app"
        assert (await c.get(terms)).json()[0]["id"] == term.json()["id"]
        gone = await c.delete(f"/accounts/{account}/glossaries/{glossary['id']}")
        assert gone.status_code == 204
        assert (await c.get(terms)).status_code == 404


async def test_children_of_built_resources_and_branches_are_kept_apart() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        key = (await c.get(f"/projects/{pid}/keys")).json()[0]["id"]
        comments = f"/projects/{pid}/keys/{key}/comments"
        made = await c.post(comments, json={"message": "Looks wrong"})
        assert made.status_code == 201 and made.json()["message"] == "Looks wrong"
        assert made.json()["user"]["username"] == "emulator"  # the seeded user, not made up
        await c.post(f"/projects/{pid}/screenshots", files={"filename": ("s.png", b"png")})
        on_branch = await c.get(f"/projects/{pid}/screenshots", params={"branch": "feature-x"})
        assert on_branch.json() == []
        assert len((await c.get(f"/projects/{pid}/screenshots")).json()) == 1
        wrong = await c.post(f"/projects/{pid}/screenshots", files={"filename": ("s.exe", b"x")})
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "filename"


async def test_names_actions_and_singletons() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        account = (await c.get("/accounts")).json()[0]["id"]
        variables = f"/projects/{pid}/variables"
        assert (await c.post(variables, json={"name": "brand", "value": "Acme"})).status_code == 201
        assert (await c.post(variables, json={"name": "brand"})).status_code == 422
        assert (await c.get(f"{variables}/brand")).json()["value"] == "Acme"
        renamed = await c.patch(f"{variables}/brand", json={"name": "company"})
        assert renamed.json()["name"] == "company"
        assert (await c.get(f"{variables}/brand")).status_code == 404
        automations = f"/accounts/{account}/automations"
        auto = await c.post(
            automations,
            json={"name": "nightly", "trigger": "schedule", "project_ids": [pid],
                  "status_filters": ["unverified"]},
        )  # fmt: skip
        assert auto.json()["status"] == "inactive"
        active = await c.post(f"{automations}/{auto.json()['id']}/activate")
        assert active.status_code == 200 and active.json()["status"] == "active"
        assert (await c.get(f"{automations}/{auto.json()['id']}")).json()["status"] == "active"
        settings = f"/accounts/{account}/machine_translation_settings"
        assert (await c.patch(settings, json={"default_service": "deepl"})).status_code == 200
        assert (await c.get(settings)).json()["default_service"] == "deepl"


async def test_listed_only_collections_have_items_that_can_be_shown_and_paged() -> None:
    app, _ = make_app()
    async with client(app) as c:
        notes = (await c.get("/notifications", params={"per_page": 1})).json()
        assert len(notes) == 1
        shown = await c.get(f"/notifications/{notes[0]['id']}")
        assert shown.status_code == 200 and shown.json() == notes[0]
        page2 = await c.get("/notifications", params={"per_page": 1, "page": 2})
        assert page2.json()[0]["id"] != notes[0]["id"]
        assert "rel=prev" in page2.headers["link"]
        groups = await c.patch("/notification_groups/mark_all_as_read")
        assert groups.status_code == 200 and isinstance(groups.json(), list)


async def test_spec_routes_share_the_gate_cache_and_quota() -> None:
    app, _ = make_app(quota=50)
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        url = f"/projects/{pid}/webhooks"
        first = await c.get(url)
        etag = first.headers["etag"]
        remaining = int(first.headers["x-rate-limit-remaining"])
        again = await c.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert int(again.headers["x-rate-limit-remaining"]) == remaining  # a 304 is free
        await c.post(url, json={"callback_url": "https://example.com/h"})
        changed = await c.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        anonymous = await c.get(url, headers={"Authorization": ""})
        assert anonymous.status_code == 401
        while (resp := await c.get(url)).status_code != 429:
            pass
        assert resp.headers["x-rate-limit-remaining"] == "0"


async def test_job_lock_keys_and_account_jobs_change_the_built_jobs() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        account = (await c.get("/accounts")).json()[0]["id"]
        job = (await c.get(f"/projects/{pid}/jobs")).json()[0]["id"]
        key = (await c.get(f"/projects/{pid}/keys")).json()[-1]["id"]
        base = f"/projects/{pid}/jobs/{job}"
        assert (await c.post(f"{base}/lock")).json()["locked"] is True
        assert (await c.get(base)).json()["locked"] is True
        assert (await c.post(f"{base}/unlock")).json()["locked"] is False
        added = await c.post(f"{base}/keys", json={"translation_key_ids": [key]})
        assert key in [k["id"] for k in added.json()["keys"]]
        removed = await c.request("DELETE", f"{base}/keys", json={"translation_key_ids": [key]})
        assert removed.status_code == 204
        assert key not in [k["id"] for k in (await c.get(base)).json()["keys"]]
        blank = await c.post(f"{base}/keys", json={})
        assert blank.status_code == 422
        by_account = (await c.get(f"/accounts/{account}/jobs", params={"per_page": 100})).json()
        assert job in [j["id"] for j in by_account]


async def test_syncing_a_merged_branch_is_a_422_without_a_body() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        url = f"/projects/{pid}/branches/feature-x"
        assert (await c.patch(f"{url}/merge", json={})).status_code == 200
        resp = await c.patch(f"{url}/sync", json={})
        assert resp.status_code == 422 and resp.content == b""


async def test_bulk_translation_and_key_actions_change_the_data() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        base = f"/projects/{pid}/translations"

        async def german() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            for page in (1, 2, 3):
                params = {"per_page": 100, "page": page, "locale_id": "de"}
                found += (await c.get(base, params=params)).json()
            return found

        pending = [t for t in await german() if t["state"] != "reviewed"]
        assert pending
        done = await c.patch(f"{base}/review", json={"locale_id": "de"})
        assert done.json() == {"records_affected": len(pending)}
        again = await c.patch(f"{base}/review", json={"locale_id": "de"})
        assert again.json() == {"records_affected": 0}
        assert {t["state"] for t in await german()} == {"reviewed"}
        key = (await c.get(f"/projects/{pid}/keys")).json()[0]
        excluded = await c.patch(
            f"/projects/{pid}/keys/exclude",
            json={"q": f"ids:{key['id']}", "target_locale_id": "fr"},
        )
        assert excluded.json() == {"records_affected": 1}
        fr = (await c.get(f"/projects/{pid}/keys/{key['id']}/translations")).json()
        assert {t["locale"]["name"]: t["excluded"] for t in fr}["fr"] is True


async def test_reports_count_the_real_data() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        report = (await c.get(f"/projects/{pid}/report")).json()
        keys = await c.get(f"/projects/{pid}/keys")
        assert report["keys_count"] == json.loads(keys.headers["pagination"])["total_count"]
        assert report["locales_count"] == len((await c.get(f"/projects/{pid}/locales")).json())
        await c.post(f"/projects/{pid}/keys", json={"name": "brand.new"})
        assert (await c.get(f"/projects/{pid}/report")).json()["keys_count"] == report[
            "keys_count"
        ] + 1
        locales = await c.get(f"/projects/{pid}/report/locales", params={"locale_codes": "en"})
        rows = locales.json()
        assert [r["locale"]["code"] for r in rows] == ["en"]
        assert rows[0]["keys_count"] == report["keys_count"] + 1
        assert rows[0]["untranslated_keys_count"] >= 1  # the new key has no translation


async def test_key_links_are_kept_on_the_parent() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        keys = [k["id"] for k in (await c.get(f"/projects/{pid}/keys")).json()[:3]]
        url = f"/projects/{pid}/keys/{keys[0]}/key_links"
        made = await c.post(url, json={"child_key_ids": keys[1:]})
        assert made.status_code == 201
        assert [k["id"] for k in made.json()["children"]] == keys[1:]
        assert (await c.post(url, json={"child_key_ids": [keys[0]]})).status_code == 422
        assert (await c.delete(f"{url}/{keys[1]}")).status_code == 200
        assert [k["id"] for k in (await c.get(url)).json()["children"]] == keys[2:]
        assert (await c.delete(f"{url}/{keys[1]}")).status_code == 404
        on_branch = await c.get(url, params={"branch": "feature-x"})
        assert on_branch.status_code == 404


async def test_actions_add_to_the_items_collections_and_mark_the_item() -> None:
    app, _ = make_app()
    async with client(app) as c:
        pid = (await main_project(c))["id"]
        account = (await c.get("/accounts")).json()[0]["id"]
        syncs = f"/accounts/{account}/repo_syncs"
        body = {"project_id": pid, "repo_name": "org/app", "connection_type": "token"}
        too_long = await c.post(syncs, json={**body, "name": "x" * 101})
        assert too_long.json()["errors"][0]["message"] == "is too long (maximum is 100 characters)"
        sync = (await c.post(syncs, json=body)).json()
        events = f"{syncs}/{sync['id']}/events"
        before = [e["id"] for e in (await c.get(events)).json()]
        made = await c.post(f"{syncs}/{sync['id']}/import", json={})
        assert made.status_code == 200
        after = [e["id"] for e in (await c.get(events)).json()]
        assert after == [*before, made.json()["id"]]
        assert (await c.get(f"{events}/{made.json()['id']}")).json() == made.json()
        key = (await c.get(f"/projects/{pid}/keys")).json()[0]["id"]
        comments = f"/projects/{pid}/keys/{key}/comments"
        comment = (await c.post(comments, json={"message": "m"})).json()
        assert (await c.patch(f"{comments}/{comment['id']}/read", json={})).status_code == 204
        assert (await c.get(f"{comments}/{comment['id']}/read")).status_code == 204
        missing = await c.patch(f"{comments}/{'0' * 32}/read", json={})
        assert missing.status_code == 404


async def test_member_lists_start_with_the_seeded_user() -> None:
    app, _ = make_app()
    async with client(app) as c:
        me = (await c.get("/user")).json()
        pid = (await main_project(c))["id"]
        account = (await c.get("/accounts")).json()[0]["id"]
        members = (await c.get(f"/accounts/{account}/members")).json()
        assert members[0]["id"] == me["id"] and members[0]["email"] == me["email"]
        shown = await c.get(f"/accounts/{account}/members/{me['id']}")
        assert shown.json()["username"] == me["username"]
        in_project = (await c.get(f"/projects/{pid}/members")).json()
        assert in_project[0]["username"] == me["username"]


async def test_adding_a_project_to_a_space_uses_the_real_project() -> None:
    app, _ = make_app()
    async with client(app) as c:
        project = await main_project(c)
        account = (await c.get("/accounts")).json()[0]["id"]
        space = (await c.post(f"/accounts/{account}/spaces", json={"name": "S"})).json()
        url = f"/accounts/{account}/spaces/{space['id']}/projects"
        assert (await c.post(url, json={"id": project["id"]})).status_code == 201
        assert (await c.post(url, json={"id": project["id"]})).status_code == 201  # no change
        listed = (await c.get(url)).json()
        assert [(p["id"], p["name"]) for p in listed] == [(project["id"], "Main App")]
        unknown = await c.post(url, json={"id": "0" * 32})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "id"
        assert (await c.delete(f"{url}/{project['id']}")).status_code == 204
        assert (await c.get(url)).json() == []
