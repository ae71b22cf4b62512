"""`parse_json` with msgspec installed reads every body exactly as `json` does: same values,
same `DecodeError`s (msgspec refuses what it reads differently, and `json` decides then)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine import json_safe
from asyncdam.engine.errors import DecodeError

pytest.importorskip("msgspec")


def _slow(content: bytes, content_type: str = "") -> Any:
    """The `json`-only reading (what a client without msgspec gets)."""
    fast, json_safe._fast_decode = json_safe._fast_decode, None
    try:
        return json_safe.parse_json(content, content_type=content_type)
    finally:
        json_safe._fast_decode = fast


def _outcome(read: Any, content: bytes, content_type: str = "") -> tuple[str, Any]:
    try:
        value = read(content, content_type)
    except DecodeError as exc:
        return "error", str(exc).split(":")[0]
    return "value", json.dumps(value, sort_keys=False)  # exact: floats, key order, types


def _fast(content: bytes, content_type: str = "") -> Any:
    return json_safe.parse_json(content, content_type=content_type)


def test_msgspec_is_in_use_here() -> None:
    assert json_safe._fast_decode is not None


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
documents = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(), inner)),
    max_leaves=25,
)


@given(documents, st.booleans(), st.sampled_from(["", "application/json; charset=utf-8"]))
@settings(max_examples=300, deadline=None)
def test_documents_read_the_same(value: Any, ascii_only: bool, content_type: str) -> None:
    content = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert _outcome(_fast, content, content_type) == _outcome(_slow, content, content_type)


number_texts = st.one_of(
    st.from_regex(r"\A-?(0|[1-9][0-9]{0,400})(\.[0-9]{1,400})?([eE][+-]?[0-9]{1,4})?\Z"),
    st.floats(allow_nan=False).map(repr).filter(lambda t: "inf" not in t),
)


@given(number_texts)
@settings(max_examples=300, deadline=None)
def test_numbers_read_the_same(text: str) -> None:
    content = f"[{text}]".encode()
    assert _outcome(_fast, content) == _outcome(_slow, content)


@pytest.mark.parametrize(
    "content",
    [
        b"NaN",
        b"[Infinity, -Infinity]",
        b"1e400",
        b'"\\ud800"',
        b'"\\ud83d\\ude00"',
        b'{"a": 1, "a": 2}',
        b"1" * 5000,
        b"\xef\xbb\xbf[1]",
        b'"\xff"',
        b"[1,",
        b"[" * 5000 + b"]" * 5000,
        b"  [1]  ",
        b"-0",
        b"[1] x",
    ],
)
def test_edge_cases_read_the_same(content: bytes) -> None:
    assert _outcome(_fast, content) == _outcome(_slow, content)


def test_other_charsets_never_take_the_fast_path() -> None:
    content = '{"name": "café"}'.encode("latin-1")
    assert _fast(content, "application/json; charset=latin-1") == {"name": "café"}
    with pytest.raises(DecodeError, match="not valid UTF-8"):
        _fast(content, "application/json")
