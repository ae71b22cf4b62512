"""Reading response bodies within a byte limit counted after decompression.

`BodyDecoder` (pure) undoes the Content-Encoding in pieces of at most `PIECE` bytes whatever the
compression ratio, so a decompression bomb never inflates more than one piece at a time. The
readers below are the thin I/O around it: they stop at the limit with `ResponseTooLarge`, so memory
stays within the limit plus one piece and one network chunk.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncGenerator, Iterator
from typing import Protocol

import httpx

from asyncdam.engine.errors import DecodeError, ResponseTooLarge, TransportError

__all__ = [
    "ACCEPT_ENCODING",
    "PIECE",
    "BodyDecoder",
    "declared_length",
    "iter_limited",
    "read_limited",
    "split_chunk",
]

# The codings the bounded decoder handles; the engine advertises exactly these.
ACCEPT_ENCODING = "gzip, deflate"
# The most one call into a decompressor may produce.
PIECE = 64 * 1024


class _Stage(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _Zlib:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), bounded per call."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._gzip = coding in {"gzip", "x-gzip"}
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False  # whether any compressed byte arrived
        self._fed: bytes = b""  # deflate only: the first bytes, to retry them as raw deflate

    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            if not self._started and not self._gzip:
                self._fed = data
            self._started = True
        pending = data
        while True:
            if self._obj.eof:
                return  # trailing bytes after the end of the stream are ignored, as httpx does
            try:
                out = self._obj.decompress(pending, PIECE)
            except zlib.error as exc:
                if self._fed:
                    # RFC 9110 deflate is zlib-wrapped; some servers send raw deflate instead.
                    pending, self._fed = self._fed, b""
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _Corrupt(f"body does not decode as {self._coding}: {exc}") from None
            self._fed = b""
            pending = self._obj.unconsumed_tail
            if out:
                yield out
            if not pending and len(out) < PIECE:
                return

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")
        if self._started and not self._obj.eof:
            raise _Corrupt(f"{self._coding} body ends before its compressed stream does")


class _Corrupt(Exception):
    """Compressed bytes that do not decode (a broken proxy, a cut transfer): the readers turn it
    into a `TransportError`, retried like any other broken transfer."""


class BodyDecoder:
    """Undo a Content-Encoding (identity, gzip, deflate or a chain of them) piece by piece."""

    def __init__(self, content_encoding: str | None) -> None:
        """A decoder for the header's value; an unsupported coding is a `DecodeError`."""
        self._stages: list[_Stage] = []
        if not content_encoding:
            return
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        # Codings are listed in the order they were applied: undo them last to first.
        for coding in reversed(codings):
            if coding == "identity":
                continue
            if coding in {"gzip", "x-gzip", "deflate"}:
                self._stages.append(_Zlib(coding))
            else:
                raise DecodeError(f"unsupported Content-Encoding {coding!r}")

    @property
    def identity(self) -> bool:
        """Whether bytes pass through unchanged."""
        return not self._stages

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces for one chunk of the wire body."""
        return self._run(0, data, finish=False)

    def finish(self) -> Iterator[bytes]:
        """The last pieces once the wire body ended (a cut-off stream raises like corrupt data)."""
        return self._run(0, b"", finish=True)

    def _run(self, index: int, data: bytes, *, finish: bool) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield data
            return
        stage = self._stages[index]
        for piece in stage.feed(data):
            yield from self._run(index + 1, piece, finish=False)
        if finish:
            for piece in stage.finish():
                yield from self._run(index + 1, piece, finish=False)
            yield from self._run(index + 1, b"", finish=True)


def split_chunk(piece: bytes, size: int) -> Iterator[bytes]:
    """`piece` in slices of at most `size` bytes (a caller's `chunk_size`)."""
    if len(piece) <= size:
        yield piece
        return
    for start in range(0, len(piece), size):
        yield piece[start : start + size]


def declared_length(headers: httpx.Headers) -> int | None:
    """The Content-Length of an unencoded body (a lower bound of its size), or None."""
    return _declared(headers, headers.get("content-encoding"))


def _declared(headers: httpx.Headers, encoding: str | None) -> int | None:
    if encoding and encoding.strip().lower() != "identity":
        return None
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value.strip())
    except ValueError:
        return None
    return length if length >= 0 else None


def _too_large(
    limit: int, setting: str, raw: httpx.Response, url: str, declared: int | None = None
) -> ResponseTooLarge:
    what = f"declares {declared} bytes" if declared is not None else "passed"
    return ResponseTooLarge(
        f"response body {what} over the {setting} limit of {limit} bytes",
        limit=limit,
        setting=setting,
        method=raw.request.method,
        url=url,
        status=raw.status_code,
        declared=declared,
    )


def _decoder(raw: httpx.Response, url: str) -> BodyDecoder:
    try:
        return BodyDecoder(raw.headers.get("content-encoding"))
    except DecodeError as exc:
        raise DecodeError(str(exc), method=raw.request.method, url=url) from None


async def iter_limited(
    raw: httpx.Response, *, limit: int | None, setting: str, url: str
) -> AsyncGenerator[bytes, None]:
    """The decoded body piece by piece; `ResponseTooLarge` before the piece that passes `limit`."""
    declared = declared_length(raw.headers)
    if limit is not None and declared is not None and declared > limit:
        raise _too_large(limit, setting, raw, url, declared)
    if raw.is_stream_consumed:
        # Read already (an auth flow, an in-memory transport): decoded by httpx, only counted.
        content = raw.content
        if limit is not None and len(content) > limit:
            raise _too_large(limit, setting, raw, url)
        if content:
            yield content
        return
    decoder = _decoder(raw, url)
    total = 0
    try:
        async for chunk in raw.aiter_raw():
            pieces = (chunk,) if decoder.identity else decoder.feed(chunk)
            for piece in pieces:
                total += len(piece)
                if limit is not None and total > limit:
                    raise _too_large(limit, setting, raw, url)
                yield piece
        for piece in decoder.finish():
            total += len(piece)
            if limit is not None and total > limit:
                raise _too_large(limit, setting, raw, url)
            yield piece
    except _Corrupt as exc:
        raise TransportError(str(exc), method=raw.request.method, url=url) from None


async def read_limited(raw: httpx.Response, *, limit: int, setting: str, url: str) -> bytes:
    """The whole decoded body, at most `limit` bytes (else `ResponseTooLarge`)."""
    if raw.is_stream_consumed:
        # An auth flow that reads responses (e.g. a 401 challenge) left the body decoded already.
        content = raw.content
        if len(content) > limit:
            raise _too_large(limit, setting, raw, url)
        return content
    coding = raw.headers.get("content-encoding")
    declared = _declared(raw.headers, coding)
    if declared is not None and declared > limit:
        raise _too_large(limit, setting, raw, url, declared)
    parts: list[bytes] = []
    total = 0
    if not coding or _decoder(raw, url).identity:
        # The hot path: most JSON answers are small and unencoded on loopback or gzip elsewhere.
        async for chunk in raw.aiter_raw():
            total += len(chunk)
            if total > limit:
                raise _too_large(limit, setting, raw, url)
            parts.append(chunk)
    else:
        async for piece in iter_limited(raw, limit=limit, setting=setting, url=url):
            parts.append(piece)
    return parts[0] if len(parts) == 1 else b"".join(parts)
