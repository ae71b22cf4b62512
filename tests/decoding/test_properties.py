"""Property tests: every model of the three services, fed quirks and random JSON, never raises
and never loses a value (read into its field, or kept raw in `extra` with a problem recorded)."""

from __future__ import annotations

import types
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncdam.decoding import Decoder
from asyncdam.decoding.builder import field_wire_names
from asyncdam.openasset import models as oa_models
from asyncdam.openasset.converter import decoder as oa_decoder
from asyncdam.phrase import models as phrase_models
from asyncdam.phrase.converter import decoder as phrase_decoder
from asyncdam.phraseanet import models as pn_models
from asyncdam.phraseanet.converter import decoder as pn_decoder


def _models(module: types.ModuleType) -> list[type[Any]]:
    return sorted(
        (
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and attrs.has(obj) and obj.__module__ == module.__name__
        ),
        key=lambda cls: cls.__name__,
    )


SERVICES: dict[str, tuple[Decoder, list[type[Any]]]] = {
    "phrase": (phrase_decoder, _models(phrase_models)),
    "phraseanet": (pn_decoder, _models(pn_models)),
    "openasset": (oa_decoder, _models(oa_models)),
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
quirks = st.one_of(
    st.sampled_from(["0", "1", "true", "false", "", "  ", "12", "-3", "4.0", "1e3", "yes"]),
    st.just([]),
    st.just({}),
    st.sampled_from(["a,b,c", "locales:create,translations:update", "one"]),
    st.sampled_from(["2015-01-28T09:52:53Z", "2015-01-28 15:31:30 UTC", "20240229235959", "0"]),
    st.dictionaries(
        st.integers(1, 99).map(str), st.fixed_dictionaries({"id": st.integers(1, 99)}), max_size=3
    ),
    st.lists(st.fixed_dictionaries({"id": st.integers(1, 9).map(str)}), max_size=3),
)
values = st.one_of(quirks, json_values)


def _empty(value: Any, decoder: Decoder, field_type: Any) -> bool:
    """Values that mean "not set" to a lenient reader (the field keeps its default)."""
    if value is None or value in ([], {}) or (isinstance(value, str) and not value.strip()):
        return True
    # OpenAsset's own rule: a date of "0" or all zeros is no date.
    zero_date = isinstance(value, str | int) and set(str(value).strip()) <= {"0"}
    return decoder is oa_decoder and "datetime" in str(field_type) and zero_date


@st.composite
def payloads(draw: st.DrawFn, service: str) -> tuple[type[Any], dict[str, Any]]:
    _, classes = SERVICES[service]
    cls = draw(st.sampled_from(classes))
    wires = sorted(field_wire_names(cls).values())
    keys = draw(st.lists(st.sampled_from(wires), unique=True)) if wires else []
    body = {key: draw(values) for key in keys}
    body.update(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=2)))
    return cls, body


def _check_model(decoder: Decoder, cls: type[Any], body: dict[str, Any]) -> None:
    model = decoder.structure(body, cls)
    assert isinstance(model, cls)
    wires = field_wire_names(cls)
    attr_of = {wire: attr for attr, wire in wires.items()}
    for key, value in body.items():
        if key not in attr_of:
            assert model.extra[key] == value  # unknown fields are kept as they came
            continue
        if key in model.extra:
            assert model.extra[key] == value
            assert key in {p.field for p in model.problems}
            continue
        if not _empty(value, decoder, attrs.fields_dict(cls)[attr_of[key]].type):
            assert getattr(model, attr_of[key]) is not None, (key, value)
        # A string never becomes a list of its characters.
        read = getattr(model, attr_of[key])
        if isinstance(value, str) and len(value) > 1 and isinstance(read, list):
            assert all(len(part) != 1 or part in value.split(",") for part in read)
    for problem in model.problems:
        assert problem.field in model.extra


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_models_never_raise_nor_lose_a_value(service: str) -> None:
    decoder, _ = SERVICES[service]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(payloads(service))
    def run(case: tuple[type[Any], dict[str, Any]]) -> None:
        _check_model(decoder, *case)

    run()


@pytest.mark.parametrize("service", sorted(SERVICES))
@pytest.mark.parametrize("policy", ["skip", "raw", "raise"])
def test_listings_never_drop_an_item_silently(service: str, policy: Any) -> None:
    decoder, classes = SERVICES[service]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(classes), st.lists(st.one_of(values, st.builds(dict)), max_size=6))
    def run(cls: type[Any], raw: list[Any]) -> None:
        items = decoder.items(raw, cls, on_invalid=policy)
        assert items.source_count == len(raw)
        if policy == "raw":
            assert len(items) == len(raw)
        else:
            assert len(items) + len(items.invalid) == len(raw)
        assert all(isinstance(item, cls) for item in items if isinstance(item, cls))

    run()
