"""`oa.searches.results.list()` against the emulator: result rows are `{file_id}`, not `{id}`.

The fact sheet's Results entries carry only `file_id`, so the client must not add its `orderBy=id`
tie-break there (the emulator answered 400 "Invalid orderBy field id"): results keep the order
the saved search gives them, and `file_id` is the field to sort or filter on.
"""

from __future__ import annotations

from typing import Any

import httpx

from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset

from .conftest import SECRET, TOKEN_ID, RunAsync, client


def _expected(app: Any, search_id: int) -> list[int]:
    """The search's result file ids as the emulator stores them, in order."""
    from asyncdam.emulator.openasset.nested import read_list

    class _Ctx:
        store = app.state.store

    return [row["file_id"] for row in read_list("Searches", "Results", search_id, _Ctx())]


def test_results_list_in_the_searchs_order(run_async: RunAsync, app: Any) -> None:
    async def flow() -> tuple[int, list[int | None], list[int | None]]:
        async with client(app) as oa:
            search = await oa.searches.get(1)
            assert search.id == 1
            rows = [r.file_id async for r in oa.searches.results.list(1, page_size=3)]
            desc = [r.file_id async for r in oa.searches.results.list(1, order_by="file_idDesc")]
            return 1, rows, desc

    search_id, rows, desc = run_async(flow)
    expected = _expected(app, search_id)
    assert rows == expected and len(rows) > 3  # more than one page of 3
    assert desc == sorted(expected, reverse=True)


async def test_results_request_sends_no_id_order(app: Any) -> None:
    seen: list[httpx.URL] = []
    inner = emulator_transport(app)

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.url)
            return await inner.handle_async_request(request)

    async with Engine(transport=Spy()) as engine:
        async with OpenAsset("http://127.0.0.1", engine=engine, token=(TOKEN_ID, SECRET)) as oa:
            rows = [r async for r in oa.searches.results.list(1)]
    results = [u for u in seen if u.path.endswith("/Results")]
    assert rows and results and all("orderBy" not in u.params for u in results)
