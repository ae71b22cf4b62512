"""v2/v3 additions and edits against the emulator (asyncio and trio)."""

from __future__ import annotations

from typing import Any

import pytest

from asyncdam.engine.errors import NotFound

from .conftest import RunAsync, emulator_client


def test_v3_create_patch_story_and_structures(run_async: RunAsync, app: Any) -> None:
    async def flow() -> dict[str, Any]:
        async with emulator_client(app) as pn:
            hello = await pn.hello_v3()
            base = (await pn.databoxes.collections(1))[0].base_id
            made = await pn.records.create_v3(
                base, ("v3.jpg", b"\xff\xd8v3-bytes"), body={"metadatas": []}
            )
            assert made.record_key is not None
            d, r = made.record_key
            patched = await pn.records.patch_v3(
                d, r, metadatas=[{"field_name": "Title", "action": "set", "value": "Patched"}]
            )
            caption = await pn.records.caption(d, r)
            story = await (pn.stories.search(per_page=1)).__aiter__().__anext__()
            story_v3 = await pn.stories.get_v3(*story.key)
            children = await pn.stories.children(*story.key, limit=2)
            cover = await pn.stories.set_cover(*story.key, story.records[0].record_id)
            subdefs = await pn.databoxes.subdefs_v3()
            one = await pn.databoxes.subdefs_v3(1)
            with pytest.raises(NotFound):
                await pn.stories.get_v3(d, r)
            return {
                "hello": hello,
                "patched": patched,
                "caption": caption,
                "story": story,
                "story_v3": story_v3,
                "children": children,
                "cover": cover,
                "subdefs": subdefs,
                "one": one,
                "key": (d, r),
            }

    out = run_async(flow)
    assert out["hello"] == ["hello"]
    assert out["patched"].key == out["key"]
    assert any(c.value == "Patched" for c in out["caption"])
    assert out["story_v3"].is_story and out["story_v3"].key == out["story"].key
    assert 0 < len(out["children"]) <= 2
    assert all(u.startswith("http://127.0.0.1/api/v3/records/") for u in out["children"])
    assert out["cover"] == [
        "{}_{}".format(out["story"].databox_id, out["story"].records[0].record_id)
    ]
    assert "1" in out["subdefs"] and list(out["one"]) == ["1"]


def test_move_delete_and_quarantine_housekeeping(run_async: RunAsync, app: Any) -> None:
    async def flow() -> dict[str, Any]:
        async with emulator_client(app) as pn:
            colls = await pn.databoxes.collections(1)
            record = (
                await (pn.records.search(bases=[colls[0].base_id], per_page=1))
                .__aiter__()
                .__anext__()
            )
            moved = await pn.records.set_collection(*record.key, colls[1].base_id)
            await pn.records.delete(*record.key)
            with pytest.raises(NotFound):
                await pn.records.get(*record.key)
            before = [q.id async for q in pn.quarantine.list()]
            denied = await pn.quarantine.deny(before[0])
            emptied = await pn.quarantine.empty(max=2)
            after = [q.id async for q in pn.quarantine.list()]
            return {
                "moved": moved,
                "target": colls[1].base_id,
                "before": before,
                "denied": denied,
                "emptied": emptied,
                "after": after,
            }

    out = run_async(flow)
    assert out["moved"].base_id == out["target"]
    assert out["denied"]["success"] is True and out["emptied"]["result"]["done"] == 2
    assert len(out["after"]) == len(out["before"]) - 3
