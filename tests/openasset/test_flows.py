"""Flows against the in-process OpenAsset emulator, on asyncio and on trio."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from asyncdam.engine.errors import Forbidden, NotFound
from asyncdam.openasset import FeatureNotSupported, Query, Upload, any_of, ge, gt

from .conftest import RunAsync, client


def _alive_files(app: Any) -> set[int]:
    return {r["id"] for r in app.state.store.table("Files").values() if r.get("alive", 1)}


def test_full_listing_yields_every_file_exactly_once(app: Any, run_async: RunAsync) -> None:
    expected = _alive_files(app)
    assert len(expected) > 2000

    async def main() -> tuple[list[int], int | None, int]:
        async with client(app, page_size=300) as oa:
            paginator = oa.files.list()
            ids = [f.id async for f in paginator if f.id is not None]
            return ids, paginator.total, await oa.files.count()

    ids, total, counted = run_async(main)
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert ids == sorted(ids)  # orderBy=id, delivered in order even with fetch-ahead
    assert total == counted == len(expected)
    pages = app.state.stats.by_method["GET"]
    assert pages == math.ceil(len(expected) / 300)


def test_filtered_listing_and_count_agree(app: Any, run_async: RunAsync) -> None:
    rows = [r for r in app.state.store.table("Files").values() if r.get("alive", 1)]
    expected = sorted(r["id"] for r in rows if r["rank"] >= 5 and r["project_id"] in (3, 4, 5))

    async def main() -> tuple[list[int], int]:
        async with client(app) as oa:
            q = Query.build(rank=ge(5), project_id=any_of(3, 4, 5))
            found = [f.id async for f in oa.files.list(q, display_fields=["id", "rank"])]
            return [i for i in found if i is not None], await oa.files.count(q)

    found, counted = run_async(main)
    assert found == expected and counted == len(expected)


def test_bulk_create_of_1000_reports_every_item(app: Any, run_async: RunAsync) -> None:
    category = next(iter(app.state.store.table("KeywordCategories")))
    items: list[dict[str, Any]] = []
    for i in range(1000):
        item: dict[str, Any] = {"name": f"bulk {i}", "keyword_category_id": category}
        if i % 97 == 0:
            del item["keyword_category_id"]  # the server requires it: a per-item error
        if i % 250 == 1:
            item["updated"] = "20200101000000"  # read-only: ignored by the server
        items.append(item)

    async def main() -> Any:
        async with client(app) as oa:
            return await oa.keywords.create_many(items)

    result = run_async(main)
    assert len(result) == 1000
    assert [i.index for i in result.items] == list(range(1000))
    failed = {i.index for i in result.failed}
    assert failed == {i for i in range(1000) if i % 97 == 0}
    for outcome in result.failed:
        assert outcome.error is not None and outcome.error.status == 400
        assert "keyword_category_id" in outcome.error.message
    names = [i.value.name for i in result.succeeded if i.value is not None]
    assert names == [f"bulk {i}" for i in range(1000) if i % 97]
    assert "updated" in result.ignored_fields
    assert "updated" in result.items[1].ignored_fields
    assert app.state.stats.by_method["POST"] == 10  # batches of the advised 100
    assert app.state.stats.max_in_flight <= 2


def test_bulk_update_and_delete_report_missing_ids(app: Any, run_async: RunAsync) -> None:
    existing = sorted(app.state.store.table("Photographers"))[:30]
    keywords = sorted(app.state.store.table("Keywords"))[:150]

    async def main() -> tuple[Any, Any]:
        async with client(app) as oa:
            updates = [{"id": i, "name": f"renamed {i}"} for i in existing]
            updates.insert(5, {"id": 999_999, "name": "ghost"})
            updated = await oa.photographers.update_many(updates, batch_size=7)
            deleted = await oa.keywords.delete_many([*keywords, 888_888])
            return updated, deleted

    updated, deleted = run_async(main)
    assert len(updated) == 31 and [i.index for i in updated.failed] == [5]
    error = updated.failed[0].error
    assert error is not None and error.status == 404
    assert app.state.store.get("Photographers", existing[0])["name"] == f"renamed {existing[0]}"
    assert len(deleted) == 151 and [i.index for i in deleted.failed] == [150]
    assert all(app.state.store.get("Keywords", k) is None for k in keywords)


def test_merge_and_nested_keywords(app: Any, run_async: RunAsync) -> None:
    store = app.state.store
    category = next(iter(store.table("KeywordCategories")))

    async def main() -> Any:
        async with client(app) as oa:
            a = await oa.keywords.create({"name": "dup a", "keyword_category_id": category})
            b = await oa.keywords.create({"name": "dup b", "keyword_category_id": category})
            assert a.id is not None and b.id is not None
            await oa.files.keywords.replace(1, [b.id])
            added = await oa.files.keywords.add(2, [b.id])
            assert b.id in [k.id for k in added]
            target = await oa.keywords.merge(a.id, [b.id])
            assert target.id == a.id
            with pytest.raises(NotFound):
                await oa.keywords.get(b.id)
            after = await oa.files.keywords.all(1)
            assert [k.id for k in after] == [a.id]
            left = await oa.files.keywords.remove(1, a.id)
            assert left == []
            tagged = await oa.keywords.files.add(a.id, [5, 6])
            assert {5, 6} <= {r.id for r in tagged}
            assert a.id in [k.id for k in await oa.files.keywords.all(6)]
            file = await oa.files.get(2, expand={"keywords": "all"})
            return a.id, file

    merged_into, file = run_async(main)
    assert merged_into in [k.id for k in file.keywords]


def test_upload_replace_and_download(app: Any, run_async: RunAsync, tmp_path: Path) -> None:
    category = next(
        c for c in app.state.store.table("Categories").values() if not c["projects_category"]
    )["id"]
    source = tmp_path / "plan view.png"
    source.write_bytes(b"\x89PNG first version")

    async def main() -> Any:
        async with client(app) as oa:
            created = await oa.files.upload(source, category_id=category, caption="Plan")
            assert created.original_filename == "plan view.png" and created.caption == "Plan"
            batch = await oa.files.upload_many(
                [
                    Upload(filename="a.jpg", content=b"AAAA", category_id=category),
                    Upload(filename="a.jpg", content=b"BBBB", category_id=category),
                    Upload(filename="c.jpg", content=b"CCCC", category_id=999_999),
                ]
            )
            assert [i.ok for i in batch.items] == [True, True, False]
            assert created.id is not None
            original = await oa.files.download(created.id)
            await oa.files.replace_content(created.id, b"\x89PNG second", filename="plan view.png")
            written = await oa.files.download_to(created.id, tmp_path / "out.png")
            second = batch.items[1].value
            assert second is not None and second.id is not None
            return original, written, await oa.files.download(second.id, 1)

    original, written, second = run_async(main)
    assert original == b"\x89PNG first version"
    assert written == len(b"\x89PNG second")
    assert (tmp_path / "out.png").read_bytes() == b"\x89PNG second"
    assert not (tmp_path / "out.png.part").exists()
    assert second == b"BBBB"


def test_download_refused_original_maps_to_forbidden(app: Any, run_async: RunAsync) -> None:
    app.state.settings.refuse_original = True

    async def main() -> None:
        async with client(app) as oa:
            with pytest.raises(Forbidden):
                await oa.files.download(1, 1)
            assert len(await oa.files.download(1, 2)) > 0

    run_async(main)


def test_version_gates(app: Any, run_async: RunAsync) -> None:
    app.state.settings.version = "8.0.4"

    async def main() -> None:
        async with client(app, basic=("admin", SECRET_FOR(app))) as oa:
            with pytest.raises(FeatureNotSupported) as caught:
                [g async for g in oa.groups.list()]
            assert caught.value.required == (8, 1, 11)
            with pytest.raises(FeatureNotSupported):
                await oa.albums.create({"name": "x"})
            with pytest.raises(FeatureNotSupported):
                await oa.files.keywords.add(1, [1])
            with pytest.raises(FeatureNotSupported):
                [f async for f in oa.files.list(id=any_of(*range(1, 600)))]
            assert len(await oa.files.keywords.all(1)) >= 0  # reads still work
            assert oa.version == (8, 0, 4)

    run_async(main)
    assert app.state.stats.by_method["POST"] == 0


def SECRET_FOR(app: Any) -> str:
    return str(app.state.config.token).split(":", 1)[1]


def test_long_query_goes_as_post_with_override(app: Any, run_async: RunAsync) -> None:
    wanted = list(range(1, 400))

    async def main() -> list[int]:
        async with client(app, page_size=200) as oa:
            return [f.id async for f in oa.files.list(id=any_of(*wanted)) if f.id is not None]

    ids = run_async(main)
    assert ids == sorted(set(wanted) & _alive_files(app))
    assert app.state.stats.by_method["POST"] >= 1 and app.state.stats.by_method["GET"] == 0


def test_session_key_reuse_and_expiry(app: Any, run_async: RunAsync) -> None:
    async def main() -> None:
        async with client(app) as oa:
            await oa.projects.get(1)
            await oa.projects.get(2)
            app.state.sessions.expire_all()
            await oa.projects.get(3)
            await oa.projects.get(4)
            await oa.logout()
            await oa.projects.get(5)

    run_async(main)
    by_auth = app.state.stats.by_auth
    assert by_auth["oatu"] == 3  # first login, after expiry, after logout
    assert by_auth["rejected"] == 1  # the expired key, answered once
    assert by_auth["session"] == 3  # two reads and the logout


def test_legacy_server_strings_and_html_errors(app: Any, run_async: RunAsync) -> None:
    app.state.settings.legacy_strings = True
    app.state.settings.html_errors = True

    async def main() -> None:
        async with client(app) as oa:
            project = await oa.projects.get(1)
            assert isinstance(project.id, int) and isinstance(project.alive, bool)
            later = [p async for p in oa.projects.list(id=gt(140))]
            assert all(isinstance(p.id, int) for p in later)
            with pytest.raises(NotFound, match="Requested object not found"):
                await oa.projects.get(987_654)

    run_async(main)


def test_anonymous_writes_are_forbidden(app: Any, run_async: RunAsync) -> None:
    from asyncdam.emulator.transport import emulator_transport
    from asyncdam.engine.session import Engine
    from asyncdam.openasset import OpenAsset

    async def main() -> None:
        async with Engine(transport=emulator_transport(app)) as engine:
            oa = OpenAsset("http://127.0.0.1", engine=engine)
            assert (await oa.keywords.get(1)).id == 1
            with pytest.raises(Forbidden, match="Access denied to POST Keywords"):
                await oa.keywords.create({"name": "x", "keyword_category_id": 1})

    run_async(main)


def test_field_and_token_gates(app: Any, run_async: RunAsync) -> None:
    app.state.settings.version = "8.2.0"

    async def main() -> None:
        async with client(app) as oa:  # OATU tokens need 10.3.12: the server answers 401
            with pytest.raises(FeatureNotSupported, match="OATU"):
                await oa.projects.get(1)
        async with client(app, basic=("admin", SECRET_FOR(app))) as oa:
            with pytest.raises(FeatureNotSupported, match="hero_image_id"):
                [p async for p in oa.projects.list(hero_image_id=gt(0))]
            with pytest.raises(FeatureNotSupported, match="hero_image_id"):
                await oa.projects.update(1, {"hero_image_id": 3})
            assert (await oa.projects.get(1)).id == 1

    run_async(main)
    assert app.state.stats.by_method["PUT"] == 0


def test_every_noun_lists_and_decodes(app: Any, run_async: RunAsync) -> None:
    from asyncdam.openasset.nouns import NOUNS
    from asyncdam.openasset.resources import Resource

    async def main() -> dict[str, int]:
        seen: dict[str, int] = {}
        async with client(app, page_size=5) as oa:
            groups = [g for g in vars(oa).values() if isinstance(g, Resource)]
            assert {g.spec.name for g in groups} == set(NOUNS)
            for group in groups:
                page = await group.list().first_page()
                assert all(isinstance(item, group.spec.model) for item in page.items)
                seen[group.spec.name] = len(page.items)
        return seen

    seen = run_async(main)
    assert seen["Files"] == 5 and seen["Sizes"] >= 1


def test_listing_under_faults_still_yields_each_file_once(run_async: RunAsync) -> None:
    from asyncdam.emulator.config import EmulatorConfig, FaultConfig
    from asyncdam.emulator.openasset import create_app
    from asyncdam.engine.retry import RetryBudget, RetryPolicy

    from .conftest import SECRET, TOKEN_ID

    faults = FaultConfig(error_rate=0.15, reset_rate=0.05, truncate_rate=0.05, seed=11)
    app = create_app(EmulatorConfig(seed=3, token=f"{TOKEN_ID}:{SECRET}", faults=faults))
    expected = _alive_files(app)
    retry = RetryPolicy(max_attempts=12, backoff_base=0.0, backoff_cap=0.0)
    options = {"retry": retry, "retry_budget": RetryBudget(ratio=1.0, min_per_window=1000)}

    async def main() -> list[int]:
        async with client(app, engine_options=options, page_size=100) as oa:
            return [f.id async for f in oa.files.list() if f.id is not None]

    ids = run_async(main)
    assert len(ids) == len(expected) and set(ids) == expected
    assert sum(n for s, n in app.state.stats.by_status.items() if s >= 500) > 0


def test_listing_resumes_from_a_cursor(app: Any, run_async: RunAsync) -> None:
    expected = sorted(_alive_files(app))

    async def main() -> tuple[list[int], list[int]]:
        async with client(app, page_size=200) as oa:
            first: list[int] = []
            paginator = oa.files.list(display_fields=["id"])
            async for f in paginator:
                first.append(f.id or 0)
                if len(first) == 450:
                    break
            cursor = paginator.cursor
            rest = [f.id or 0 async for f in oa.files.list(display_fields=["id"], cursor=cursor)]
            return first, rest

    first, rest = run_async(main)
    assert first + rest == expected
