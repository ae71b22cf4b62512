"""Flows against the in-process Phraseanet emulator, on asyncio and on trio."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import (
    EMULATOR_CLIENT_ID,
    EMULATOR_CLIENT_SECRET,
    EMULATOR_PASSWORD,
    EMULATOR_USERNAME,
    create_app,
)
from asyncdam.engine.errors import NotFound
from asyncdam.phraseanet import InvalidToken, OAuthRequestError, PasswordGrant

from .conftest import TOKEN, RunAsync, emulator_client


def test_full_search_yields_each_record_once(run_async: RunAsync, app: Any) -> None:
    async def flow() -> tuple[Counter[tuple[int, int]], int | None, int]:
        async with emulator_client(app) as pn:
            pager = pn.records.search(per_page=97, fetch_ahead=3)
            seen = Counter([r.key async for r in pager])
            return seen, pager.total, len(app.state.store.records)

    seen, total, _ = run_async(flow)
    assert total is not None and total > 2000
    assert len(seen) == total and set(seen.values()) == {1}
    stories = {k for k, r in app.state.store.records.items() if r.is_story}
    assert not stories & set(seen)


def test_search_filters_and_story_search(run_async: RunAsync, app: Any) -> None:
    async def flow() -> Any:
        async with emulator_client(app) as pn:
            base = (await pn.databoxes.collections(1))[0].base_id
            in_base = [r async for r in pn.records.search(bases=[base], per_page=200)]
            stories = [s async for s in pn.stories.search(per_page=7)]
            via_type = [s.key async for s in pn.records.search(search_type=1, per_page=5)]
            assert via_type == [s.key for s in stories]
            light = [x async for x in pn.records.search_light(bases=[base], per_page=500)]
            v3 = [x async for x in pn.records.search_v3(bases=[base], limit=100)]
            return base, in_base, stories, light, v3

    base, in_base, stories, light, v3 = run_async(flow)
    expected = sum(
        1 for r in app.state.store.records.values() if r.base_id == base and not r.is_story
    )
    assert len(in_base) == expected and {r.base_id for r in in_base} == {base}
    assert [(x.databox_id, x.record_id) for x in light] == [r.key for r in in_base]
    assert [r.key for r in v3] == [r.key for r in in_base]
    assert (
        len({s.key for s in stories})
        == len(stories)
        == sum(1 for r in app.state.store.records.values() if r.is_story)
    )


def test_resume_cursor_continues_without_gap(run_async: RunAsync, app: Any) -> None:
    async def flow() -> tuple[list[Any], list[Any]]:
        async with emulator_client(app) as pn:
            first = pn.records.search("", per_page=50)
            head = []
            async for record in first:
                head.append(record.key)
                if len(head) == 120:
                    break
            rest = [r.key async for r in pn.records.search("", per_page=50, cursor=first.cursor)]
            everything = [r.key async for r in pn.records.search("", per_page=50)]
            return head + rest, everything

    resumed, everything = run_async(flow)
    assert resumed == everything


@pytest.mark.parametrize("keyed", [True, False])
def test_structures_on_current_and_older_servers(
    run_async: RunAsync, app: Any, keyed: bool
) -> None:
    app.state.keyed_objects = keyed

    async def flow() -> Any:
        async with emulator_client(app) as pn:
            dbs = await pn.databoxes.list()
            return (
                dbs,
                await pn.databoxes.collections(dbs[0].databox_id),
                await pn.databoxes.metadatas(dbs[0].databox_id),
            )

    dbs, colls, fields = run_async(flow)
    assert [d.databox_id for d in dbs] == sorted(app.state.store.databoxes)
    assert colls and all(c.databox_id == dbs[0].databox_id for c in colls)
    assert fields and all(f.name for f in fields)


def test_record_reads_edits_and_download(run_async: RunAsync, app: Any, tmp_path: Any) -> None:
    async def flow() -> dict[str, Any]:
        async with emulator_client(app) as pn:
            record = await (pn.records.search(per_page=1)).__aiter__().__anext__()
            d, r = record.key
            full = await pn.records.get(d, r, extended=True)
            metas = await pn.records.metadatas(d, r)
            struct = metas[0].meta_structure_id
            updated = await pn.records.set_metadatas(
                d, r, [{"meta_struct_id": struct, "meta_id": metas[0].meta_id, "value": "Renamed"}]
            )
            bits = await pn.databoxes.status(d)
            status = await pn.records.set_status(d, r, {bits[0].bit: True})
            embed = await pn.records.embed(d, r)
            saved = await pn.downloads.save(embed[0], tmp_path / "file.bin")
            data = await pn.downloads.read(embed[0])
            v3 = await pn.records.get_v3(d, r, include=["status"])
            return {
                "full": full,
                "updated": updated,
                "status": status,
                "bit": bits[0].bit,
                "saved": saved,
                "data": data,
                "v3": v3,
                "struct": struct,
            }

    out = run_async(flow)
    assert out["full"].subdefs and out["full"].caption is not None
    assert any(
        m.value == "Renamed" and m.meta_structure_id == out["struct"] for m in out["updated"]
    )
    assert any(s.bit == out["bit"] and s.state for s in out["status"])
    assert out["saved"] == len(out["data"]) > 0
    assert (tmp_path / "file.bin").read_bytes() == out["data"]
    assert out["v3"].key == out["full"].key


def test_upload_quarantine_accept_and_story_edit(run_async: RunAsync, app: Any) -> None:
    async def flow() -> dict[str, Any]:
        async with emulator_client(app) as pn:
            me = await pn.me.get()
            base = next(c for c in me.collections if c.databox_id == 1).base_id
            up = await pn.records.upload(base, ("fresh.jpg", b"\xff\xd8brand-new"), force="record")
            held = await pn.records.upload(base, ("held.jpg", b"\xff\xd8other"), force="quarantine")
            assert held.quarantine_id is not None and up.record_key is not None
            item = await pn.quarantine.get(held.quarantine_id)
            listed = [q.id async for q in pn.quarantine.list(per_page=7)]
            accepted = await pn.quarantine.accept(item.id)
            story_url = await pn.stories.create(base, title="Trip", records=[up.record_key])
            d, s = (int(x) for x in story_url.rstrip("/").split("/")[-2:])
            story = await pn.stories.get(d, s)
            removed = await pn.stories.remove_records(d, s, [up.record_key])
            children = await pn.stories.children(d, s)
            return {
                "up": up,
                "held": held,
                "item": item,
                "listed": listed,
                "accepted": accepted,
                "story": story,
                "removed": removed,
                "children": children,
            }

    out = run_async(flow)
    assert not out["up"].quarantined and out["up"].url.startswith(
        "http://127.0.0.1/api/v1/records/"
    )
    assert out["held"].quarantined and out["item"].original_name == "held.jpg"
    assert out["item"].id in out["listed"] and len(set(out["listed"])) == len(out["listed"])
    assert out["accepted"]["result"]["record_id"] > 0
    assert [r.key for r in out["story"].records] == [out["up"].record_key]
    assert out["removed"] == ["{}_{}".format(*out["up"].record_key)] and out["children"] == []


def test_baskets_and_feeds(run_async: RunAsync, app: Any) -> None:
    async def flow() -> dict[str, Any]:
        async with emulator_client(app) as pn:
            basket = await pn.baskets.create("Mine")
            renamed = await pn.baskets.set_name(basket.basket_id, "Ours")
            record = await (pn.records.search(per_page=1)).__aiter__().__anext__()
            await pn.baskets.add_records(basket.basket_id, [record.key])
            content = await pn.baskets.content(basket.basket_id)
            left = await pn.baskets.delete(basket.basket_id)
            feeds = await pn.feeds.list()
            big = max(feeds, key=lambda f: f.total_entries or 0)
            entries = [e async for e in pn.feeds.feed_entries(big.id, per_page=9)]
            agg = [e async for e in pn.feeds.entries(per_page=20)]
            one = await pn.feeds.entry(entries[0].id)
            return {
                "renamed": renamed,
                "content": content,
                "left": left,
                "big": big,
                "entries": entries,
                "agg": agg,
                "one": one,
                "record": record,
            }

    out = run_async(flow)
    assert out["renamed"].name == "Ours"
    assert [e.record.key for e in out["content"].basket_elements if e.record] == [out["record"].key]
    assert all(b.basket_id != out["renamed"].basket_id for b in out["left"])
    ids = [e.id for e in out["entries"]]
    assert len(ids) == len(set(ids)) == out["big"].total_entries
    assert len({e.id for e in out["agg"]}) == len(out["agg"]) >= len(ids)
    assert out["one"].url and out["one"].url.startswith("http://127.0.0.1/api/v1/feeds/entry/")


def test_auth_failures_and_password_grant(run_async: RunAsync) -> None:
    app = create_app(EmulatorConfig(token=TOKEN))
    app.state.header_only = True

    async def flow() -> Any:
        async with emulator_client(app, token="not-a-valid-token") as pn:
            with pytest.raises(InvalidToken):
                await pn.me.get()
        grant = PasswordGrant(
            client_id=EMULATOR_CLIENT_ID,
            client_secret=EMULATOR_CLIENT_SECRET,
            username=EMULATOR_USERNAME,
            password=EMULATOR_PASSWORD,
        )
        async with emulator_client(app, token=None, oauth=grant) as pn:
            me = await pn.me.get()
        bad = PasswordGrant(
            client_id=EMULATOR_CLIENT_ID, username=EMULATOR_USERNAME, password="wrong"
        )
        async with emulator_client(app, token=None, oauth=bad) as pn:
            with pytest.raises(OAuthRequestError) as info:
                await pn.me.get()
            assert info.value.oauth_error == "invalid_grant"
        async with emulator_client(app) as pn:
            with pytest.raises(NotFound):
                await pn.records.get(1, 999_999)
        return me

    me = run_async(flow)
    assert me.user.login == EMULATOR_USERNAME
