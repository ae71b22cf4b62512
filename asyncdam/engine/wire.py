"""Turning a `Request` into an httpx request, and httpx failures into asyncdam errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from asyncdam.engine.body import ACCEPT_ENCODING
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import TimeoutError, TransportError
from asyncdam.engine.fast_url import url_on
from asyncdam.engine.request import Request, check_header_value

# Failures raised before any byte of the request can have reached the server: safe to retry always.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
# A body whose Content-Encoding does not decode is no usable response either; httpx raises it
# outside its TransportError tree, so it is named here to be caught with the rest.
RECEIVE_ERRORS = (httpx.TransportError, httpx.DecodingError)
ReceiveError = httpx.TransportError | httpx.DecodingError


def query_pairs(query: Any) -> list[tuple[str, str]]:
    """Flatten query parameters to pairs: None dropped, booleans lowercase, sequences repeated."""
    items: Sequence[tuple[str, Any]]
    items = list(query.items()) if isinstance(query, Mapping) else list(query)
    out: list[tuple[str, str]] = []
    for key, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if v is None:
                continue
            out.append((key, _scalar(v)))
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class DialectWire:
    """What every request of one dialect starts from, worked out once: the base URL as text and
    the default headers already encoded (copying them is cheaper than encoding them again)."""

    __slots__ = (
        "accept",
        "base_text",
        "base_url",
        "has_host",
        "has_length",
        "header_items",
        "headers",
        "raw",
    )

    def __init__(self, dialect: BaseDialect) -> None:
        """The wire form of `dialect` as it is now (see `fits` for later changes)."""
        self.base_url = dialect.base_url
        self.base_text = str(dialect.base_url)
        self.header_items = tuple(dialect.default_headers.items())
        # httpx adds its client's Accept-Encoding only in `client.build_request`, which the
        # engine skips: ask for the codings the engine's bounded decoder reads, here, once.
        self.headers = httpx.Headers(
            {"Accept-Encoding": ACCEPT_ENCODING, **dict(dialect.default_headers)}
        )
        self.raw = self.headers.raw
        self.accept = self.headers.get("accept", "")  # the cache key's, for calls adding none
        self.has_host, self.has_length = _framing(self.headers)

    def fits(self, dialect: BaseDialect) -> bool:
        """Whether `dialect` still has the base URL and default headers this was made from."""
        return self.base_url is dialect.base_url and self.header_items == tuple(
            dialect.default_headers.items()
        )


class WireCache:
    """One `DialectWire` per dialect an engine serves (dialects are mutable: each use checks
    the cached form still fits). Bounded: an engine serves a handful of dialects."""

    MAX_DIALECTS = 64

    def __init__(self) -> None:
        """An empty cache."""
        self._wires: dict[int, tuple[BaseDialect, DialectWire]] = {}

    def get(self, dialect: BaseDialect) -> DialectWire:
        """The wire form of `dialect`, rebuilt when the dialect changed since."""
        found = self._wires.get(id(dialect))
        if found is not None and found[0] is dialect and found[1].fits(dialect):
            return found[1]
        if len(self._wires) >= self.MAX_DIALECTS:
            self._wires.clear()
        wire = DialectWire(dialect)
        self._wires[id(dialect)] = (dialect, wire)
        return wire


def build_request(
    dialect: BaseDialect,
    request: Request,
    extra_headers: Mapping[str, str],
    wire: DialectWire | None = None,
) -> httpx.Request:
    """The httpx request for one attempt: URL on the dialect's origin, merged headers, body.

    `wire` is the dialect's cached wire form (see `WireCache`); without it one is made here.
    """
    if wire is None:
        wire = DialectWire(dialect)
    pairs = query_pairs(request.query) if request.query else []
    if request.url is None:
        # One URL parse per request: the query is encoded here exactly as httpx would encode it
        # (urlencode), keeping the caller's order of repeated keys, and joined by concatenation
        # (the base ends with "/", path values are percent-encoded, dot segments refused).
        path = request.rendered_path().lstrip("/")
        url = url_on(wire.base_url, wire.base_text, path, urlencode(pairs) if pairs else "")
    else:
        url = dialect.url_for(request)
        if pairs:
            params = [*httpx.URL(request.url).params.multi_items(), *pairs]
            url = httpx.URL(url.copy_with(query=None), params=params)  # as httpx.Request would
    extensions = None
    if request.timeout is not None:
        extensions = {"timeout": httpx.Timeout(request.timeout).as_dict()}
    headers: httpx.Headers | None = None
    if request.headers or extra_headers:
        headers = httpx.Headers(wire.headers)
        for k, v in request.headers.items():
            headers[k] = v
        for k, v in extra_headers.items():
            headers[k] = check_header_value(k, v)
    if (
        request.json is None
        and request.data is None
        and request.files is None
        and request.content is None
    ):
        return _bodyless(request.method, url, wire, headers, extensions)
    kwargs: dict[str, Any] = {}
    if request.json is not None:
        kwargs["json"] = request.json
    if request.data is not None:
        data = request.data
        kwargs["data"] = dict(data) if isinstance(data, Mapping) else _form_dict(data)
    if request.files is not None:
        kwargs["files"] = list(request.files)
    if request.content is not None:
        kwargs["content"] = request.content
    return httpx.Request(
        request.method,
        url,
        headers=wire.headers if headers is None else headers,
        extensions=extensions,
        **kwargs,
    )


def _framing(headers: httpx.Headers) -> tuple[bool, bool]:
    """Whether `headers` already name the host, and the body's length or transfer coding."""
    return "host" in headers, "content-length" in headers or "transfer-encoding" in headers


# Methods httpx gives an explicit `Content-Length: 0` when they carry no body.
_LENGTH_ZERO_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _bodyless(
    method: str,
    url: httpx.URL,
    wire: DialectWire,
    headers: httpx.Headers | None,
    extensions: dict[str, Any] | None,
) -> httpx.Request:
    """The request httpx would build for a body-less call, without its per-request header
    rebuilding: the same header list (Host first, then `Content-Length: 0` where httpx adds it,
    then ours) and an empty, already read body."""
    if headers is None:
        raw, has_host, has_length = wire.raw, wire.has_host, wire.has_length
    else:
        raw = headers.raw
        has_host, has_length = _framing(headers)
    auto: list[tuple[bytes, bytes]] = []
    if not has_host and url.host:
        auto.append((b"Host", url.netloc))
    if not has_length and method in _LENGTH_ZERO_METHODS:
        auto.append((b"Content-Length", b"0"))
    built = httpx.Request(
        method, url, headers=auto + raw, stream=httpx.ByteStream(b""), extensions=extensions
    )
    built.read()
    return built


def _form_dict(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    # httpx takes repeated form keys as a list value.
    out: dict[str, Any] = {}
    for key, value in pairs:
        value = _scalar(value) if not isinstance(value, str | bytes) else value
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def was_sent(exc: ReceiveError) -> bool:
    """Whether a transport failure may have happened after the request reached the server."""
    return not isinstance(exc, _NOT_SENT)


def transport_error(exc: ReceiveError, *, method: str, url: str, attempts: int) -> TransportError:
    """The asyncdam error for an httpx transport failure (message carries no secret)."""
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"timed out ({kind})", method=method, url=url, attempts=attempts)
    return TransportError(f"transport failure ({kind})", method=method, url=url, attempts=attempts)
