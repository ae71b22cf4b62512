"""Quirk profiles: the pure transformer, the middleware, and the three emulators wired to it."""

from __future__ import annotations

from typing import Any

import attrs
import httpx
import pytest

from asyncdam.emulator.config import QUIRK_KINDS, EmulatorConfig, QuirkConfig
from asyncdam.emulator.pytest_plugin import in_process_emulator
from asyncdam.emulator.quirks import (
    EXTRA_FIELD,
    OPENASSET_RULES,
    PHRASEANET_RULES,
    UNKNOWN_ENUM,
    QuirkRules,
    transform,
)

RULES = QuirkRules(
    identity=frozenset({"id"}),
    keep=frozenset({"name"}),
    keyed_lists={"tags": "id"},
    comma_lists=frozenset({"labels"}),
    enums=frozenset({"kind"}),
)
ON = QuirkConfig(enabled=True, rate=0.5)


def _doc(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "owner_id": 1000 + i,
            "name": f"item {i}",
            "count": i * 3,
            "ratio": i / 7,
            "alive": i % 2 == 0,
            "kind": "image",
            "labels": ["a", "b", str(i)],
            "tags": [{"id": i * 10 + k, "flag": True} for k in range(3)],
            "meta": {},
            "nested": {"size": i, "empty": {}},
        }
        for i in range(n)
    ]


def _ids(value: Any, found: list[Any]) -> list[Any]:
    """Every id value anywhere in a document (dict keys of id-keyed objects excluded)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("id", "owner_id"):
                found.append(item)
            else:
                _ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _ids(item, found)
    return found


def test_off_is_identity_and_on_is_deterministic() -> None:
    doc = _doc(40)
    assert transform(doc, RULES, QuirkConfig(), 1) == (doc, {})
    first = transform(doc, RULES, ON, 1, "/things")
    assert first == transform(doc, RULES, ON, 1, "/things")
    assert first[0] != transform(doc, RULES, ON, 2, "/things")[0]
    assert first[0] != transform(doc, RULES, ON, 1, "/other")[0]
    assert doc == _doc(40)  # the input is not mutated


def test_every_kind_happens_and_ids_survive() -> None:
    doc = _doc(60)
    out, applied = transform(doc, RULES, ON, 5)
    assert set(applied) == set(QUIRK_KINDS)
    assert isinstance(out, list) and len(out) == 60  # the top-level shape never changes
    assert sorted(_ids(out, []), key=str) == sorted(_ids(doc, []), key=str)
    assert [row["id"] for row in out] == list(range(60))
    assert all(row["name"] == f"item {row['id']}" for row in out)  # kept fields stay
    seen = {
        "comma": any(isinstance(r.get("labels"), str) for r in out),
        "keyed": any(isinstance(r.get("tags"), dict) for r in out),
        "php": any(r.get("meta") == [] for r in out),
        "enum": any(r.get("kind") == UNKNOWN_ENUM for r in out),
        "extra": any(EXTRA_FIELD in r for r in out),
        "str_num": any(isinstance(r.get("count"), str) for r in out),
        "str_bool": any(r.get("alive") in ("0", "1") for r in out),
        "missing": any("ratio" not in r for r in out),
    }
    assert all(seen.values()), seen
    for row in out:
        if isinstance(row.get("tags"), dict):
            assert all(k == str(v["id"]) for k, v in row["tags"].items())
        if isinstance(row.get("labels"), str):
            assert row["labels"] == f"a,b,{row['id']}"


def test_kinds_can_be_chosen_one_by_one() -> None:
    for kind in QUIRK_KINDS:
        _, applied = transform(_doc(30), RULES, attrs.evolve(ON, kinds=frozenset({kind})), 3)
        assert set(applied) == {kind}


def test_envelope_root_keeps_its_shape() -> None:
    doc = {"meta": {"http_code": 200, "ok": True}, "response": {"total_results": 9, "x": 1}}
    out, _ = transform(doc, PHRASEANET_RULES, QuirkConfig(enabled=True, rate=1.0), 0)
    assert out["meta"] == doc["meta"]
    assert out["response"]["total_results"] == 9  # paging counters are identity
    assert out["response"]["x"] == "1"


def _svc_config(service: str, quirks: QuirkConfig) -> EmulatorConfig:
    token = "7:secret" if service == "openasset" else "test-token"
    return EmulatorConfig(seed=4, token=token, quirks=quirks)


REQUESTS = {
    "phraseanet": ("/api/v1/records/1/1/", {"Authorization": "OAuth test-token"}),
    "openasset": ("/REST/1/Files?limit=5&keywords=all", {"Authorization": "OATU 7:secret"}),
    "phrase": ("/v2/projects", {"Authorization": "token test-token", "User-Agent": "t"}),
}


@pytest.mark.parametrize("service", sorted(REQUESTS))
async def test_emulators_send_quirks_only_when_asked(service: str) -> None:
    path, headers = REQUESTS[service]
    bodies = []
    for quirks in (QuirkConfig(), QuirkConfig(enabled=True, rate=0.6)):
        handle = in_process_emulator(service, _svc_config(service, quirks))
        async with httpx.AsyncClient(transport=handle.transport, headers=headers) as client:
            response = await client.get(handle.base_url.split("/v2")[0] + path)
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == len(response.content)
        bodies.append(response.json())
    plain, quirky = bodies
    assert plain != quirky
    assert _ids(plain, []) and sorted(map(str, _ids(plain, []))) == sorted(
        map(str, _ids(quirky, []))
    )


async def test_errors_and_head_are_untouched() -> None:
    handle = in_process_emulator(
        "openasset", _svc_config("openasset", QuirkConfig(enabled=True, rate=1.0))
    )
    auth = {"Authorization": "OATU 7:secret"}
    async with handle.client(headers=auth) as client:
        missing = await client.get("/REST/1/Files/999999")
        head = await client.head("/REST/1/Files?limit=3")
    assert missing.status_code == 404
    assert missing.json()["error_message"] == "Requested object not found"
    assert head.status_code == 200 and head.content == b""


def test_service_rules_name_their_ids() -> None:
    for rules in (PHRASEANET_RULES, OPENASSET_RULES):
        assert rules.is_identity("id") and rules.is_identity("record_id")
        assert not rules.is_identity("title")


@pytest.mark.parametrize("rate", [0.2, 0.6, 1.0])
def test_ids_survive_any_seed_and_rate(rate: float) -> None:
    doc = _doc(25)
    want = sorted(map(str, _ids(doc, [])))
    for seed in range(15):
        out, _ = transform(doc, RULES, QuirkConfig(enabled=True, rate=rate), seed, "/x")
        assert len(out) == len(doc)
        assert sorted(map(str, _ids(out, []))) == want
        assert [row["id"] for row in out] == [row["id"] for row in doc]
