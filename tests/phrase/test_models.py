"""Models accept the spec's examples and what real servers send (extra fields, strings, nulls)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asyncdam.phrase import models
from asyncdam.phrase.converter import decoder, parse_datetime

from .conftest import load_spec


def _examples(spec: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(operation id, model name, example body) for every JSON success example in the spec."""
    from asyncdam.phrase.resources import RESOURCES

    out: list[tuple[str, str, Any]] = []
    by_id = {}
    for cls in RESOURCES.values():
        module = __import__(cls.__module__, fromlist=["OPERATIONS"])
        for name, op in module.OPERATIONS.items():
            by_id[op.op_id] = (cls, name)
    for item in spec["paths"].values():
        for op in item.values():
            for code, resp in op.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                media = (resp.get("content") or {}).get("application/json") or {}
                for example in (media.get("examples") or {}).values():
                    if "value" in example:
                        out.append((op["operationId"], code, example["value"]))
                if "example" in media:
                    out.append((op["operationId"], code, media["example"]))
    return out


def _result_type(op_id: str) -> Any:
    import inspect
    import typing

    from asyncdam.phrase.resources import RESOURCES

    for cls in RESOURCES.values():
        module = __import__(cls.__module__, fromlist=["OPERATIONS"])
        for name, op in module.OPERATIONS.items():
            if op.op_id == op_id:
                hints = typing.get_type_hints(getattr(cls, name), vars(module) | {"models": models})
                return hints["return"], inspect.iscoroutinefunction(getattr(cls, name))
    raise KeyError(op_id)


def test_every_spec_example_structures() -> None:
    spec = load_spec()
    examples = _examples(spec)
    assert len(examples) >= 3
    checked = 0
    for op_id, _, value in examples:
        ret, _ = _result_type(op_id)
        origin = getattr(ret, "__origin__", None)
        args = getattr(ret, "__args__", ())
        if ret is bytes or ret is type(None):
            continue
        if origin is not None and args and isinstance(value, list):
            cls = args[0]
            items = [decoder.structure(v, cls) for v in value]
            assert len(items) == len(value)
            assert all(isinstance(i, cls) for i in items)
        elif isinstance(value, dict):
            obj = decoder.structure(value, ret)
            assert isinstance(obj, ret)
            # nothing the spec documents for this model ends up unread
            known = {f.metadata.get("wire", f.name) for f in type(obj).__attrs_attrs__}
            assert set(value) - set(obj.extra) <= known
        checked += 1
    assert checked >= 3


# Places where the spec's own examples contradict its schema (a list where it says object, the
# word "account" where an object belongs): those values are kept in `extra`, never lost.
SPEC_SELF_CONTRADICTIONS = {
    "member": {"permissions"},
    "member_project_detail": {"permissions"},
    "invitation": {"permissions"},
    "project": {"account", "space"},
    "notification": {"data", "resource"},
    "automation": {"account"},
}


def _props(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        target: Any = spec
        for part in schema["$ref"].split("/")[1:]:
            target = target[part]
        schema = target
    props: dict[str, Any] = {}
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            props.update(_props(spec, part))
    props.update(schema.get("properties") or {})
    return props


def test_schema_examples_structure() -> None:
    """Each component schema, filled from its properties' examples, reads without leftovers."""
    spec = load_spec()
    count = 0
    for name, schema in spec["components"]["schemas"].items():
        props = _props(spec, schema)
        sample = {k: v["example"] for k, v in props.items() if "example" in v}
        cls = getattr(models, "".join(p[:1].upper() + p[1:] for p in name.split("_")), None)
        whole = schema.get("example")
        if cls is None:
            continue
        for example in (sample, whole):
            if isinstance(example, dict) and example:
                obj = decoder.structure(example, cls)
                assert isinstance(obj, cls)
                unread = set(obj.extra) - (set(example) - set(props))
                assert unread <= SPEC_SELF_CONTRADICTIONS.get(name, set()), f"{name}: {unread}"
                count += 1
    assert count > 20


def test_tolerant_of_what_servers_send() -> None:
    raw: dict[str, Any] = {
        "id": "k1",
        "name": "hello",
        "plural": "true",
        "data_type": None,
        "created_at": "2015-01-28T09:52:53Z",
        "updated_at": "not a date",
        "brand_new_field": {"x": 1},
        "tags": [],
    }
    key = decoder.structure(raw, models.TranslationKey)
    assert key.id == "k1"
    assert key.plural is True
    assert key.data_type is None
    assert key.created_at == dt.datetime(2015, 1, 28, 9, 52, 53, tzinfo=dt.UTC)
    assert key.updated_at is None
    assert key.extra == {"brand_new_field": {"x": 1}, "updated_at": "not a date"}
    assert key.tags == []


def test_numeric_strings_and_php_empty_arrays() -> None:
    stats = decoder.structure(
        {"keys_total_count": "12", "words_total_count": 3.0}, models.LocaleStatistics
    )
    assert stats.keys_total_count == 12
    assert stats.words_total_count == 3
    locale = decoder.structure({"id": "l1", "statistics": []}, models.LocaleDetails)
    assert locale.statistics == models.LocaleStatistics()


def test_models_are_frozen() -> None:
    key = models.TranslationKey(id="k1")
    with pytest.raises(AttributeError):
        key.id = "k2"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "2015-01-28T09:52:53Z",
        "2013-02-21T00:00:00.000Z",
        "2015-03-31T13:00+01:00",
        "2015-01-28 15:31:30 UTC",
    ],
)
def test_lenient_dates(text: str) -> None:
    assert parse_datetime(text).tzinfo is not None
