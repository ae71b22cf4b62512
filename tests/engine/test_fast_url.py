"""`url_on` builds exactly the URL httpx parses from the same text, by whichever path."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine import fast_url
from asyncdam.engine.dialect import check_base_url
from asyncdam.engine.request import render_path

BASES = [
    check_base_url("https://api.phrase.com/v2"),
    check_base_url("https://Example.TEST:8443/api/v1/"),
    check_base_url("http://127.0.0.1:5000", allow_insecure_http=True),
]
segment = st.text(min_size=1, max_size=12).filter(lambda s: s not in {".", ".."})
query_value = st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(["created_at", "asc"]))


def _same(a: httpx.URL, b: httpx.URL) -> None:
    assert str(a) == str(b)
    assert a == b
    assert (a.scheme, a.host, a.port, a.raw_path, a.query) == (
        b.scheme,
        b.host,
        b.port,
        b.raw_path,
        b.query,
    )
    assert a.params.multi_items() == b.params.multi_items()


@given(
    st.sampled_from(BASES),
    st.lists(segment, min_size=0, max_size=3),
    st.lists(st.tuples(st.sampled_from(["page", "per_page", "q", "a b"]), query_value), max_size=5),
)
@settings(max_examples=300, deadline=None)
def test_the_assembled_url_is_the_parsed_one(
    base: httpx.URL, values: list[str], pairs: list[tuple[str, object]]
) -> None:
    template = "/".join(["items"] + [f"{{p{i}}}" for i in range(len(values))])
    path = render_path(template, {f"p{i}": v for i, v in enumerate(values)}).lstrip("/")
    query = urlencode([(k, str(v)) for k, v in pairs])
    text = str(base) + path
    expected = httpx.URL(f"{text}?{query}" if query else text)
    _same(fast_url.url_on(base, str(base), path, query), expected)


def test_paths_httpx_would_change_take_the_plain_parse() -> None:
    base = BASES[0]
    for path, query in [
        ("a/../b", ""),
        ("a/./b", ""),
        ("a b", ""),
        ("x", "q=[1]"),
        ("a//b", ""),
        ("é", ""),
    ]:
        text = str(base) + path
        expected = httpx.URL(f"{text}?{query}" if query else text)
        assert not fast_url._plain(path, query) or "//" in path
        _same(fast_url.url_on(base, str(base), path, query), expected)


def test_this_httpx_has_the_parsed_record_the_fast_path_needs() -> None:
    # Fails when httpx changes its internals: the fast path then silently falls back, and this
    # test says the speed-up is gone.
    assert fast_url._PARSE_RESULT is not None
