"""OpenAsset emulator: the employee links seen in SDKs and scripts ([obs] in the fact sheet)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.openasset import create_app

AUTH = {"Authorization": "OATU 7:links-secret"}


@pytest.fixture
def app() -> Starlette:
    return create_app(EmulatorConfig(token="7:links-secret", seed=4, size=0.05))


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", headers=AUTH
    ) as c:
        yield c


async def test_links_read_both_ways(client: httpx.AsyncClient, app: Starlette) -> None:
    links = app.state.store.links[("Projects", "Employees")]
    project, people = next((p, es) for p, es in links.items() if es)
    employee = people[0]["id"]
    on_project = (await client.get(f"/REST/1/Projects/{project}/Employees")).json()
    assert [e["id"] for e in on_project] == [e["id"] for e in people]
    projects = (await client.get(f"/REST/1/Employees/{employee}/Projects")).json()
    assert project in [p["id"] for p in projects]
    expanded = (await client.get(f"/REST/1/Employees/{employee}?projects=all&files=all")).json()
    assert {p["id"] for p in expanded["projects"]} == {p["id"] for p in projects}
    assert isinstance(expanded["files"], list)


async def test_links_write_on_the_forward_side(client: httpx.AsyncClient) -> None:
    added = await client.post("/REST/1/Files/1/Employees", json=[{"id": 2}])
    assert added.status_code == 200 and {"id": 2} in added.json()
    back = (await client.get("/REST/1/Employees/2/Files")).json()
    assert 1 in [f["id"] for f in back]
    refused = await client.post("/REST/1/Employees/2/Files", json=[{"id": 3}])
    assert refused.status_code == 403
    missing = await client.post("/REST/1/Files/1/Employees", json=[{"id": 99999}])
    assert missing.status_code == 400  # an unknown employee id, as for the other link lists
