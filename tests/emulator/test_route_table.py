"""The emulator route coverage table: every client method has an emulator route, and the
committed table (docs/emulator-routes.md) is what tools/gen_route_table.py generates now."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import anyio
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_route_table", REPO / "tools" / "gen_route_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_route_table"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reports(tool: ModuleType) -> list[object]:
    return list(anyio.run(tool.collect))


def test_every_client_method_was_exercised(reports: list[object]) -> None:
    broken = {r.name: r.error for r in reports if r.error is not None}  # type: ignore[attr-defined]
    assert not broken


def test_every_client_request_has_an_emulator_route(reports: list[object]) -> None:
    unrouted = {
        r.name: [f"{c.method} {c.path}" for c in r.unrouted]  # type: ignore[attr-defined]
        for r in reports
        if r.unrouted  # type: ignore[attr-defined]
    }
    assert not unrouted
    names = {r.name for r in reports}  # type: ignore[attr-defined]
    # The eleven methods that used to be tested against mocks only are among them.
    for name in (
        "pn.records.substitute",
        "pn.me.update_account",
        "pn.me.update_password",
        "pn.me.request_collections",
        "pn.me.delete_account",
        "pn.uploads.enqueue",
        "pn.orders.list",
        "pn.orders.create",
        "pn.orders.get",
        "pn.orders.accept",
        "pn.orders.deny",
        "pn.orders.archive",
        "oa.searches.results.list",
    ):
        assert name in names


def test_committed_table_is_current(tool: ModuleType, reports: list[object]) -> None:
    committed = (REPO / "docs" / "emulator-routes.md").read_text()
    assert committed == tool.render(reports), "regenerate with: python tools/gen_route_table.py"


def test_route_matching_refuses_unknown_paths(tool: ModuleType) -> None:
    assert tool.phraseanet_route("GET", "/api/v1/nothing/") is None
    assert tool.phraseanet_route("GET", "/api/v1/records/1/2/") == "GET /api/v1/records/{d}/{r}/"
    assert tool.openasset_route("PATCH", "/REST/1/Files/3") is None
    assert tool.openasset_route("POST", "/REST/1/Categories") is None  # no create for them
    assert tool.openasset_route("MERGE", "/REST/1/Keywords/4") == "MERGE /REST/1/Keywords/{id}"
