"""A body-less request is built without httpx's per-request header rebuilding: it must be the
request `httpx.Request(...)` builds (same URL, the same header list in the same order, an empty
body already read), whatever headers the dialect, the call and the validators bring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncdam.engine.body import ACCEPT_ENCODING
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.request import Request
from asyncdam.engine.wire import WireCache, build_request, query_pairs


def reference(dialect: BaseDialect, request: Request, extra: Mapping[str, str]) -> httpx.Request:
    """The request the long way round: merged headers handed to `httpx.Request` as they were."""
    headers = httpx.Headers({"Accept-Encoding": ACCEPT_ENCODING, **dict(dialect.default_headers)})
    for k, v in request.headers.items():
        headers[k] = v
    for k, v in extra.items():
        headers[k] = v
    pairs = query_pairs(request.query) if request.query else []
    params: Any = None
    if request.url is None:
        text = str(dialect.base_url) + request.rendered_path().lstrip("/")
        url = httpx.URL(f"{text}?{urlencode(pairs)}" if pairs else text)
    else:
        url = httpx.URL(request.url)
        if pairs:
            params = [*url.params.multi_items(), *pairs]
            url = url.copy_with(query=None)
    extensions = None
    if request.timeout is not None:
        extensions = {"timeout": httpx.Timeout(request.timeout).as_dict()}
    return httpx.Request(request.method, url, params=params, headers=headers, extensions=extensions)


def wire_form(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        request.headers.raw,
        request.content,
        b"".join(request.stream),  # type: ignore[arg-type]
        request.extensions,
    )


_NAMES = st.sampled_from(
    [
        "Accept",
        "accept",
        "User-Agent",
        "Host",
        "HOST",
        "Content-Length",
        "content-length",
        "Transfer-Encoding",
        "If-None-Match",
        "X-Extra",
        "Accept-Encoding",
    ]
)
_VALUES = st.sampled_from(["a", "application/json", '"etag"', "0", "chunked", "other.host"])
_HEADERS = st.dictionaries(_NAMES, _VALUES, max_size=4)


@settings(max_examples=400, deadline=None)
@given(
    method=st.sampled_from(["GET", "HEAD", "DELETE", "POST", "PUT", "PATCH", "OPTIONS"]),
    defaults=_HEADERS,
    headers=_HEADERS,
    extra=_HEADERS,
    query=st.lists(
        st.tuples(st.sampled_from(["a", "b", "é"]), st.sampled_from(["1", "x y", "", None])),
        max_size=3,
    ),
    absolute=st.sampled_from([None, "https://api.example.com/v2/next?page=2&a=1"]),
    timeout=st.sampled_from([None, 2.5]),
    base=st.sampled_from(["https://api.example.com/v2", "http://127.0.0.1:8400/"]),
)
def test_a_bodyless_request_is_the_one_httpx_builds(
    method: str,
    defaults: dict[str, str],
    headers: dict[str, str],
    extra: dict[str, str],
    query: list[tuple[str, str | None]],
    absolute: str | None,
    timeout: float | None,
    base: str,
) -> None:
    dialect = BaseDialect(name="t", base_url=check_base_url(base), default_headers=defaults)
    if absolute is not None:
        absolute = str(dialect.base_url.join("next?page=2&a=1"))
    request = Request(
        method=method,
        path="/items/{id}",
        path_params={"id": "a b"},
        url=absolute,
        query=query,
        headers=headers,
        timeout=timeout,
    )
    built = build_request(dialect, request, extra, WireCache().get(dialect))
    assert wire_form(built) == wire_form(reference(dialect, request, extra))


def test_the_common_get_has_host_first_and_an_empty_read_body() -> None:
    dialect = BaseDialect(
        name="t",
        base_url=check_base_url("https://api.example.com/v2"),
        default_headers={"User-Agent": "ua"},
    )
    built = build_request(dialect, Request(method="GET", path="/k"), {}, WireCache().get(dialect))
    assert built.headers.raw == [
        (b"Host", b"api.example.com"),
        (b"Accept-Encoding", ACCEPT_ENCODING.encode()),
        (b"User-Agent", b"ua"),
    ]
    assert built.content == b""
    post = build_request(dialect, Request(method="POST", path="/k"), {}, WireCache().get(dialect))
    assert post.headers["content-length"] == "0"
