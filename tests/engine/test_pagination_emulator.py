"""Paginator end to end through the Engine against the in-process emulators (asyncio and trio)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.page_strategies import LinkHeaderStrategy, OffsetLimitStrategy
from asyncdam.engine.request import Request, Response
from asyncdam.engine.session import Engine

config_module = pytest.importorskip("asyncdam.emulator.config")
phrase_emulator = pytest.importorskip("asyncdam.emulator.phrase")
openasset_emulator = pytest.importorskip("asyncdam.emulator.openasset.app")

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def decode(response: Response) -> Sequence[dict[str, Any]]:
    data = response.json()
    assert isinstance(data, list)
    return data


def phrase_dialect() -> BaseDialect:
    return BaseDialect(
        name="phrase",
        base_url=check_base_url("http://localhost/v2/"),
        default_headers={
            "Authorization": "token test-token",
            "User-Agent": "asyncdam-tests (tests@example.org)",
            "Accept": "application/json",
        },
        credential_id="t1",
        concurrency=2,
    )


async def _phrase_engine(**state: Any) -> tuple[Engine, Any]:
    app = phrase_emulator.create_app(config_module.EmulatorConfig(seed=3, size=0.3))
    for key, value in state.items():
        setattr(app.state, key, value)
    return Engine(transport=httpx.ASGITransport(app=app)), app


async def _first_project(engine: Engine) -> str:
    client = engine.bind(phrase_dialect())
    response = await client.send(Request(method="GET", path="projects"))
    projects = response.json()
    assert projects
    return str(projects[0]["id"])


def _keys(project: str) -> Request:
    return Request(method="GET", path="projects/{p}/keys", path_params={"p": project})


@pytest.mark.parametrize("quoted", [False, True])
async def test_phrase_keys_all_pages_with_fetch_ahead(quoted: bool) -> None:
    engine, _ = await _phrase_engine(link_rel_quoted=quoted)
    async with engine:
        client = engine.bind(phrase_dialect())
        project = await _first_project(engine)
        strategy = LinkHeaderStrategy(per_page=100, max_per_page=100)
        everything = [k["id"] async for k in client.paginate(_keys(project), strategy, decode)]
        small = client.paginate(_keys(project), LinkHeaderStrategy(per_page=40), decode)
        before = engine.stats.requests
        ids = [k["id"] async for k in small]
        assert ids == everything
        assert len(ids) > 40
        assert small.total == len(ids)
        assert engine.stats.requests - before == small.total_pages


async def test_phrase_clamped_page_size_and_streaming() -> None:
    engine, _ = await _phrase_engine()
    async with engine:
        client = engine.bind(phrase_dialect())
        project = await _first_project(engine)
        reference = [
            k["id"]
            async for k in client.paginate(_keys(project), LinkHeaderStrategy(per_page=50), decode)
        ]
        # per_page=500 is clamped to 100 by the server; the Pagination header keeps us honest.
        clamped = client.paginate(_keys(project), LinkHeaderStrategy(per_page=500), decode)
        assert [k["id"] async for k in clamped] == reference
        async with client.paginate(
            _keys(project), LinkHeaderStrategy(per_page=30), decode, fetch_ahead=2
        ) as streamed:
            assert [k["id"] async for k in streamed] == reference


async def test_phrase_resume_from_persisted_cursor() -> None:
    engine, _ = await _phrase_engine()
    async with engine:
        client = engine.bind(phrase_dialect())
        project = await _first_project(engine)
        strategy = LinkHeaderStrategy(per_page=60)
        reference = [k["id"] async for k in client.paginate(_keys(project), strategy, decode)]
        crash_after = len(reference) // 2 + 1
        delivered: list[str] = []
        saved = ""
        pager = client.paginate(_keys(project), strategy, decode)
        with pytest.raises(RuntimeError):
            async for key in pager:
                if len(delivered) == crash_after:
                    raise RuntimeError("crash")
                delivered.append(key["id"])
                saved = json.dumps(pager.cursor)
        resumed = client.paginate(_keys(project), strategy, decode, cursor=json.loads(saved))
        delivered += [k["id"] async for k in resumed]
        assert delivered == reference


def openasset_dialect() -> BaseDialect:
    return BaseDialect(
        name="openasset",
        base_url=check_base_url("http://localhost/REST/1/"),
        default_headers={"Authorization": "OATU 1:test-token", "Accept": "application/json"},
        credential_id="oa1",
    )


async def test_openasset_offset_paging_matches_limit_zero() -> None:
    app = openasset_emulator.create_app(config_module.EmulatorConfig(seed=2, size=0.3))
    async with Engine(transport=httpx.ASGITransport(app=app)) as engine:
        client = engine.bind(openasset_dialect())
        query = {"orderBy": "id", "displayFields": "id"}
        base = Request(method="GET", path="Files", query=query)
        everything = decode(await client.send(base.evolve(query={**query, "limit": 0})))
        assert len(everything) > 70
        pager = client.paginate(base, OffsetLimitStrategy(limit=70), decode, fetch_ahead=3)
        got = [row["id"] async for row in pager]
        assert got == [row["id"] for row in everything]
        assert pager.total == len(everything)
