"""The generated fast paths decode exactly as the general ones: the exact-keys path of a structure
function, and the page function `Decoder.items` runs over a whole listing page in one loop."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncdam.decoding import DecodeProblem, Decoder, Rules, identity_by_field
from asyncdam.decoding.builder import field_wire_names

from .test_properties import SERVICES, _check_model, values

UNKNOWN = "\x00not-a-field"


def _same_fields(a: Any, b: Any) -> None:
    """Every field but `extra` equal (problems included, which model equality leaves out)."""
    for f in attrs.fields(type(a)):
        if f.name != "extra":
            assert getattr(a, f.name) == getattr(b, f.name), f.name


@st.composite
def full_payloads(draw: st.DrawFn, service: str) -> tuple[type[Any], dict[str, Any]]:
    """A body with every key its model knows and nothing else: the exact-keys path."""
    _, classes = SERVICES[service]
    cls = draw(st.sampled_from(classes))
    return cls, {wire: draw(values) for wire in sorted(field_wire_names(cls).values())}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_exact_keys_path_decodes_like_the_general_path(service: str) -> None:
    decoder, _ = SERVICES[service]

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(full_payloads(service))
    def run(case: tuple[type[Any], dict[str, Any]]) -> None:
        cls, body = case
        _check_model(decoder, cls, body)
        exact = decoder.structure(body, cls)
        # One unknown key more sends the same object down the general path.
        general = decoder.structure({**body, UNKNOWN: 1}, cls)
        _same_fields(exact, general)
        assert general.extra == {**exact.extra, UNKNOWN: 1}

    run()


@st.composite
def pages(draw: st.DrawFn, service: str) -> tuple[type[Any], list[Any]]:
    """A page of one identified model: mostly good items (full or partial), sometimes not."""
    decoder, classes = SERVICES[service]
    identified = [c for c in classes if len(decoder._identity(c)) == 1]
    cls = draw(st.sampled_from(identified))
    ((_, id_wire),) = decoder._identity(cls)
    wires = sorted(field_wire_names(cls).values())

    def item() -> st.SearchStrategy[Any]:
        body = st.fixed_dictionaries(
            {id_wire: st.one_of(st.text(min_size=1, max_size=8), st.integers(1, 10**6))},
            optional={w: values for w in wires if w != id_wire},
        )
        return st.one_of(
            body,
            body.map(lambda b: {**b, UNKNOWN: 1}),
            st.fixed_dictionaries({w: values for w in wires}),
            st.sampled_from([None, [], "x", 3]),
        )

    return cls, draw(st.lists(item(), max_size=6))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_page_function_decodes_like_item_by_item(service: str) -> None:
    decoder, _ = SERVICES[service]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(pages(service))
    def run(case: tuple[type[Any], list[Any]]) -> None:
        cls, raw = case
        items = decoder.items(raw, cls, on_invalid="skip")
        # The reference: each object alone, kept when it has its identity.
        expected = []
        for value in raw:
            try:
                expected.append(decoder.item(value, cls))
            except ValueError:
                continue
        assert len(items) == len(expected)
        assert len(items) + len(items.invalid) == len(raw)
        for got, want in zip(items, expected, strict=True):
            assert got == want
            _same_fields(got, want)

    run()


@attrs.frozen(kw_only=True)
class _One:
    id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
    problems: tuple[DecodeProblem, ...] = attrs.field(default=(), repr=False, eq=False)


@attrs.frozen(kw_only=True)
class _Bare:
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@attrs.frozen(kw_only=True)
class _Two:
    id: str | None = None
    when: dt.datetime | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
    problems: tuple[DecodeProblem, ...] = attrs.field(default=(), repr=False, eq=False)


DECODER = Decoder(Rules(identity=identity_by_field("id")))


def test_single_field_model_takes_both_paths() -> None:
    assert DECODER.structure({"id": 3}, _One) == _One(id=3)
    assert DECODER.structure({"id": "4"}, _One) == _One(id=4)
    bad = DECODER.structure({"id": "four"}, _One)
    assert bad.id is None and bad.extra == {"id": "four"}
    assert [p.field for p in bad.problems] == ["id"]
    assert DECODER.structure({"other": 1}, _One) == _One(extra={"other": 1})
    assert list(DECODER.items([{"id": 1}, {"id": "2"}], _One)) == [_One(id=1), _One(id=2)]


def test_model_without_fields_keeps_everything_in_extra() -> None:
    assert DECODER.structure({}, _Bare) == _Bare()
    assert DECODER.structure({"a": 1}, _Bare) == _Bare(extra={"a": 1})
    assert list(DECODER.items([{}, {"b": 2}], _Bare)) == [_Bare(), _Bare(extra={"b": 2})]


def test_same_length_but_other_keys_is_not_mistaken_for_exact() -> None:
    # Two keys as the model has two fields, but one of them unknown and one missing.
    model = DECODER.structure({"id": "a", "elsewhere": 1}, _Two)
    assert model == _Two(id="a", extra={"elsewhere": 1})
    stamp = "2024-01-01T00:00:00+00:00"
    assert DECODER.structure({"id": "a", "when": stamp}, _Two) == _Two(
        id="a", when=dt.datetime.fromisoformat(stamp)
    )


def test_page_function_hands_a_bad_page_to_the_item_by_item_path() -> None:
    page = [{"id": "a"}, {"when": None}, {"id": ""}, "junk", {"id": "b", "x": 1}]
    items = DECODER.items(page, _Two, on_invalid="skip")
    assert list(items) == [_Two(id="a"), _Two(id="b", extra={"x": 1})]
    assert [bad.index for bad in items.invalid] == [1, 2, 3]
    assert items.set_aside_edges == (False, False)
    raw = DECODER.items(page, _Two, on_invalid="raw")
    assert list(raw)[1:4] == page[1:4]
