"""v2 orders through the client against the emulator: place, accept, deny, fetch the archive."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from starlette.applications import Starlette

from asyncdam.engine.errors import InvalidRequestError, NotFound
from tests.phraseanet.conftest import RunAsync, emulator_client


def test_order_lifecycle_through_the_client(app: Starlette, run_async: RunAsync) -> None:
    store: Any = app.state.store
    recs = [r for r in store.records.values() if r.base_id == 1 and not r.is_story][:2]

    async def flow() -> None:
        async with emulator_client(app) as pn:
            placed = await pn.orders.create(
                {
                    "data": {
                        "usage": "press kit",
                        "records": [
                            {"databox_id": r.databox_id, "record_id": r.record_id} for r in recs
                        ],
                    }
                }
            )
            order = placed["data"]
            first, second = (e["id"] for e in order["elements"]["data"])
            with pytest.raises(NotFound):
                await pn.orders.archive(order["id"])
            await pn.orders.accept(order["id"], [first])
            await pn.orders.deny(order["id"], [second])
            got = await pn.orders.get(order["id"])
            assert got["data"]["id"] == order["id"]
            archive = await pn.orders.archive(order["id"])
            assert zipfile.ZipFile(io.BytesIO(archive)).namelist() == [recs[0].original_name]

    run_async(flow)


@pytest.mark.parametrize("bad", [None, [], "12", [True], [-1]])
def test_elements_are_checked_before_sending(app: Starlette, run_async: RunAsync, bad: Any) -> None:
    async def flow() -> None:
        async with emulator_client(app) as pn:
            with pytest.raises(InvalidRequestError, match="elements"):
                await pn.orders.accept(1, bad)

    run_async(flow)
