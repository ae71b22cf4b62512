"""Phrase emulator pagination: page/per_page, Link (both rel styles), Pagination header."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

from phrase_support import client, main_project, make_app

LINK = re.compile(r'<([^>]+)>;\s*rel="?(\w+)"?')


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(header)}


def page_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["page"][0])


async def test_default_page_size_and_headers() -> None:
    app, _ = make_app(size=0.1)  # 250 keys in the main project
    async with client(app) as c:
        project = await main_project(c)
        resp = await c.get(f"/projects/{project['id']}/keys")
        assert resp.status_code == 200
        assert len(resp.json()) == 25
        meta = json.loads(resp.headers["pagination"])
        assert meta == {
            "total_count": 250,
            "total_pages_count": 10,
            "current_page": 1,
            "current_per_page": 25,
            "previous_page": None,
            "next_page": 2,
        }
        rels = links(resp.headers["link"])
        assert set(rels) == {"first", "next", "last"}
        assert page_of(rels["next"]) == 2 and page_of(rels["last"]) == 10
        assert rels["first"].startswith("http://127.0.0.1/v2/projects/")


async def test_middle_and_last_pages_keep_other_params() -> None:
    app, _ = make_app(size=0.1)
    async with client(app) as c:
        project = await main_project(c)
        url = f"/projects/{project['id']}/keys"
        resp = await c.get(url, params={"per_page": 20, "page": 2, "q": "tags:web", "sort": "name"})
        rels = links(resp.headers["link"])
        assert set(rels) == {"first", "prev", "next", "last"}
        for link in rels.values():
            query = parse_qs(urlsplit(link).query)
            assert query["per_page"] == ["20"] and query["q"] == ["tags:web"]
            assert query["sort"] == ["name"]
        last = await c.get(rels["last"])
        assert last.status_code == 200
        last_rels = links(last.headers["link"])
        assert "next" not in last_rels and "prev" in last_rels
        assert json.loads(last.headers["pagination"])["next_page"] is None


async def test_walking_next_links_yields_every_item_once() -> None:
    app, _ = make_app(size=0.1)
    async with client(app) as c:
        project = await main_project(c)
        url: str | None = f"/projects/{project['id']}/keys?per_page=100"
        seen: list[str] = []
        while url:
            resp = await c.get(url)
            seen += [k["id"] for k in resp.json()]
            url = links(resp.headers["link"]).get("next")
        assert len(seen) == len(set(seen)) == 250


async def test_clamp_past_end_and_bad_values() -> None:
    app, _ = make_app(size=0.1)
    async with client(app) as c:
        project = await main_project(c)
        url = f"/projects/{project['id']}/keys"
        big = await c.get(url, params={"per_page": 100000})
        assert len(big.json()) == 100
        assert json.loads(big.headers["pagination"])["current_per_page"] == 100
        past = await c.get(url, params={"page": 99})
        assert past.status_code == 200 and past.json() == []
        assert "next" not in links(past.headers["link"])
        zero = await c.get(url, params={"per_page": 0, "page": 0})
        assert len(zero.json()) == 25
        bad = await c.get(url, params={"page": "abc"})
        assert bad.status_code == 400 and "message" in bad.json()


async def test_quoted_rel_switch() -> None:
    app, _ = make_app(size=0.1)
    async with client(app) as c:
        project = await main_project(c)
        url = f"/projects/{project['id']}/keys"
        plain = (await c.get(url)).headers["link"]
        assert "rel=next" in plain and 'rel="next"' not in plain
        app.state.link_rel_quoted = True
        quoted = (await c.get(url)).headers["link"]
        assert 'rel="next"' in quoted and 'rel="first"' in quoted


async def test_search_posts_page_in_query_without_link() -> None:
    app, _ = make_app(size=0.1)
    async with client(app) as c:
        project = await main_project(c)
        resp = await c.post(
            f"/projects/{project['id']}/keys/search",
            params={"page": 2, "per_page": 10},
            json={"q": "tags:web"},
        )
        assert resp.status_code == 200 and len(resp.json()) == 10
        assert "link" not in resp.headers
        meta = json.loads(resp.headers["pagination"])
        assert meta["current_page"] == 2 and meta["previous_page"] == 1
        assert all("web" in k["tags"] for k in resp.json())
        tr = await c.post(
            f"/projects/{project['id']}/translations/search",
            params={"per_page": 5},
            json={"q": "label"},
        )
        assert tr.status_code == 200 and len(tr.json()) == 5 and "link" not in tr.headers


async def test_account_search_pages_in_body() -> None:
    app, _ = make_app(size=0.1)
    async with client(app) as c:
        account = (await c.get("/accounts")).json()[0]
        resp = await c.post(
            f"/accounts/{account['id']}/search",
            json={"query": "label", "locale_code": "en", "page": 2, "per_page": 7},
        )
        assert resp.status_code == 200 and len(resp.json()) == 7
        meta = json.loads(resp.headers["pagination"])
        assert meta["current_page"] == 2 and meta["current_per_page"] == 7
        assert resp.json()[0]["locale"]["name"] == "en"
        bad = await c.post(f"/accounts/{account['id']}/search", json={"page": "x"})
        assert bad.status_code == 422


async def test_every_seeded_list_pages_at_default_size() -> None:
    app, _ = make_app(size=1.0)
    async with client(app) as c:
        project = await main_project(c)
        pid = project["id"]
        for url in (
            f"/projects/{pid}/keys",
            f"/projects/{pid}/translations",
            f"/projects/{pid}/jobs",
        ):
            resp = await c.get(url)
            assert "next" in links(resp.headers["link"]), url
        for url in ("/projects", f"/projects/{pid}/locales", f"/projects/{pid}/tags"):
            resp = await c.get(url, params={"per_page": 2})
            assert "next" in links(resp.headers["link"]), url
