"""`Request.evolve`: the slot-copying path gives what `attrs.evolve` gives, and checks the same."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.request import Request

BASE = Request(
    method="get",
    path="/projects/{project_id}/keys",
    path_params={"project_id": "p 1"},
    query=[("per_page", "100"), ("page", 1)],
    headers={"X-Trace": "t"},
    timeout=5,
    scope="listing",
)

CHANGES: list[dict[str, Any]] = [
    {"query": {"page": 2}},
    {"query": [("page", 3)], "scope": None},
    {"json": {"page": 2}, "query": {}},
    {"data": [("offset", 10)]},
    {"url": "https://api.example.com/next", "path": "", "path_params": {}},
    {"idempotent": False, "cacheable": False, "authenticated": False},
    {"path_params": {"project_id": "other"}},
]


@pytest.mark.parametrize("changes", CHANGES)
def test_evolve_equals_attrs_evolve(changes: dict[str, Any]) -> None:
    fast = BASE.evolve(**changes)
    slow = attrs.evolve(BASE, **changes)
    assert type(fast) is Request
    assert fast == slow
    assert fast.rendered_path() == slow.rendered_path()
    for f in attrs.fields(Request):
        if f.name != "_rendered":
            assert getattr(fast, f.name) is getattr(slow, f.name) or (
                getattr(fast, f.name) == getattr(slow, f.name)
            )


def test_rendered_path_is_kept_only_while_the_path_stays() -> None:
    base = attrs.evolve(BASE)
    assert base.rendered_path() == "/projects/p%201/keys"
    assert base.evolve(query={"page": 2})._rendered == "/projects/p%201/keys"
    moved = base.evolve(path_params={"project_id": "q"})
    assert moved._rendered is None
    assert moved.rendered_path() == "/projects/q/keys"
    assert base.evolve(path="/other")._rendered is None


def test_evolve_refuses_two_bodies() -> None:
    with_json = BASE.evolve(json={"a": 1})
    with pytest.raises(InvalidRequestError, match="only one of"):
        with_json.evolve(data={"b": 1})
    with pytest.raises(InvalidRequestError, match="files= combines with data= only"):
        with_json.evolve(files=[("f", ("a.txt", b"x"))])


def test_fields_with_checks_still_go_through_them() -> None:
    with pytest.raises(InvalidRequestError, match="timeout"):
        BASE.evolve(timeout=-1)
    with pytest.raises(InvalidRequestError, match="forbidden control character"):
        BASE.evolve(headers={"X-Bad": "a\r\nb"})
    assert BASE.evolve(method="post").method == "POST"  # the converter runs
    with pytest.raises(TypeError):
        BASE.evolve(no_such_field=1)
