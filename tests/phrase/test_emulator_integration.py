"""The adapter against the Phrase emulator in-process: paging, pull (with free 304s), push."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from asyncdam.engine.session import Engine
from asyncdam.phrase import Backoff, Phrase

emulator = pytest.importorskip("asyncdam.emulator.phrase")
config_module = pytest.importorskip("asyncdam.emulator.config")

FAST = Backoff(initial=0.01, maximum=0.05, jitter=0.0, timeout=10.0)


@pytest.fixture
async def phrase() -> AsyncIterator[Phrase]:
    app = emulator.create_app(config_module.EmulatorConfig(seed=1, size=0.3))
    async with Engine(transport=httpx.ASGITransport(app=app)) as engine:
        yield Phrase(token="test-token", base_url="http://localhost/v2", engine=engine)


async def _project(phrase: Phrase) -> str:
    projects = [p async for p in phrase.projects.list()]
    assert projects
    return projects[0].id or ""


async def test_lists_page_through_everything(phrase: Phrase) -> None:
    project = await _project(phrase)
    paginator = phrase.keys.list(project, per_page=7)
    ids = [k.id async for k in paginator]
    assert len(ids) == len(set(ids)) > 7
    if paginator.total is not None:
        assert paginator.total == len(ids)
    everything = [k.id async for k in phrase.keys.list(project)]
    assert sorted(i or "" for i in everything) == sorted(i or "" for i in ids)


async def test_pull_twice_second_time_unchanged(phrase: Phrase, tmp_path: Path) -> None:
    project = await _project(phrase)
    first = await phrase.pull(project, tmp_path, file_format="yml")
    assert first and all(r.changed for r in first)
    assert all(r.path.is_file() and r.path.stat().st_size > 0 for r in first)
    before = phrase.engine.stats.requests
    second = await phrase.pull(project, tmp_path, file_format="yml")
    assert [r.changed for r in second] == [False] * len(second)
    assert phrase.engine.stats.requests > before


async def test_push_then_keys_are_visible(phrase: Phrase, tmp_path: Path) -> None:
    project = await _project(phrase)
    locales = [loc async for loc in phrase.locales.list(project)]
    source = tmp_path / "en.yml"
    source.write_text("en:\n  pushed_by_test: Hello from the test\n", encoding="utf-8")
    uploads = await phrase.push(
        project, [source], file_format="yml", locale_id=locales[0].id or "", backoff=FAST
    )
    assert [u.state for u in uploads] == ["success"]
    found = [k.name async for k in phrase.keys.list(project, q="name:pushed_by_test")]
    assert any("pushed_by_test" in (name or "") for name in found)


async def test_async_download_against_emulator(phrase: Phrase) -> None:
    project = await _project(phrase)
    locales = [loc async for loc in phrase.locales.list(project)]
    locale = locales[0].id or ""
    body = await phrase.download_locale_async(project, locale, file_format="yml", backoff=FAST)
    direct = await phrase.locales.download(project, locale, file_format="yml")
    assert body == direct and body


async def test_one_failing_locale_fails_the_pull_with_its_own_error(
    phrase: Phrase, tmp_path: Path
) -> None:
    from asyncdam.engine.errors import NotFound

    project = await _project(phrase)
    with pytest.raises(NotFound):
        await phrase.pull(project, tmp_path, locales=["no-such-locale"])


async def test_account_search_lists_every_match(phrase: Phrase) -> None:
    # Body-paged search: every page of results is read, and the pages do not overlap.
    accounts = [a async for a in phrase.accounts.list()]
    assert accounts and accounts[0].id
    everything = [r async for r in phrase.search.in_account(accounts[0].id, per_page=100)]
    paged = [r async for r in phrase.search.in_account(accounts[0].id, per_page=7)]
    assert len(everything) > 7
    assert [(r.translation and r.translation.id) for r in paged] == [
        (r.translation and r.translation.id) for r in everything
    ]
