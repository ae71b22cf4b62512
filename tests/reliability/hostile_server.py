"""A real HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose, for the hostile-server suite.

Raw sockets in threads, so it serves tests on asyncio and on trio alike and writes exactly the
bytes a broken proxy, CDN or deployment would: redirects anywhere, decompression bombs generated on
the fly (never stored), endless and dripping bodies, lying lengths, bad encodings, header floods.
Each connection answers one request (`Connection: close`). `seen` records what arrived.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

MiB = 1024 * 1024

Handler = Callable[["Exchange"], None]


class Exchange:
    """One request as received, and the socket to answer on."""

    def __init__(self, sock: socket.socket, method: str, target: str, headers: dict[str, str]):
        self.sock = sock
        self.method = method
        self.target = target
        parts = urlsplit(target)
        self.path = parts.path
        self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.headers = headers

    def head(self, status: int, headers: list[tuple[str, str]]) -> None:
        """Send the status line and headers (Connection: close is added)."""
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
        lines.append("Connection: close")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def send(self, data: bytes) -> None:
        """Send raw bytes."""
        self.sock.sendall(data)

    def reply(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        """A complete response with a Content-Length."""
        self.head(status, [*(headers or []), ("Content-Length", str(len(body)))])
        self.send(body)

    def json(self, status: int, doc: Any, headers: list[tuple[str, str]] | None = None) -> None:
        """A complete JSON response."""
        extra = [("Content-Type", "application/json"), *(headers or [])]
        self.reply(status, json.dumps(doc).encode(), extra)

    def chunked(self, status: int, chunks: Iterator[bytes], headers: list[tuple[str, str]]) -> None:
        """A chunked response from a generator (stops when the client goes away)."""
        self.head(status, [*headers, ("Transfer-Encoding", "chunked")])
        for chunk in chunks:
            if chunk:
                self.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.send(b"0\r\n\r\n")


# -- bodies generated on the fly ----------------------------------------------------------------


def _zero_segment(wbits: int) -> tuple[bytes, bytes, bytes]:
    """(first, repeat, end) of a compressed stream of 1 MiB zero blocks.

    After a full flush the compressor starts afresh, so every further 1 MiB block of zeros
    compresses to the same bytes: the bomb is built from one ~1 KiB segment, never stored whole.
    """
    zeros = bytes(MiB)
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    repeat = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    assert repeat == again
    end = comp.flush(zlib.Z_FINISH)
    return first, repeat, end


GZIP_SEGMENTS = _zero_segment(31)
DEFLATE_SEGMENTS = _zero_segment(15)


def bomb(megabytes: int, segments: tuple[bytes, bytes, bytes] = GZIP_SEGMENTS) -> Iterator[bytes]:
    """A compressed body that inflates to `megabytes` MiB of zeros (the trailer's checksum is
    only computed if a client ever reads that far)."""
    first, repeat, end = segments
    yield first
    for _ in range(megabytes - 1):
        yield repeat
    crc = 0
    block = bytes(MiB)
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    yield end
    if segments is GZIP_SEGMENTS:
        yield crc.to_bytes(4, "little") + ((megabytes * MiB) & 0xFFFFFFFF).to_bytes(4, "little")


def bomb_size(megabytes: int) -> int:
    """The compressed size of `bomb(megabytes)` in bytes."""
    first, repeat, end = GZIP_SEGMENTS
    return len(first) + (megabytes - 1) * len(repeat) + len(end) + 8


def endless(chunk: bytes = b"a" * 65536) -> Iterator[bytes]:
    """A body that never ends."""
    while True:
        yield chunk


# -- the server ---------------------------------------------------------------------------------


class HostileServer:
    """Serve `routes` (path -> handler) on 127.0.0.1:<free port>, plain or TLS."""

    def __init__(self, routes: dict[str, Handler], *, tls: ssl.SSLContext | None = None):
        self.routes = routes
        self.tls = tls
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT` (https with TLS)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            exchange = _read_request(sock)
            if exchange is None:
                return
            self.seen.append((exchange.method, exchange.target, exchange.headers))
            handler = self.routes.get(exchange.path)
            if handler is None:
                exchange.reply(404, b'{"message": "no such route"}')
            else:
                handler(exchange)
        except (OSError, ssl.SSLError):
            pass  # the client hung up, as it should when it refuses a body
        finally:
            try:
                sock.close()
            except OSError:
                pass


def _read_request(sock: socket.socket) -> Exchange | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            return None
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    return Exchange(sock, method, target, headers)


def drip(exchange: Exchange, *, every: float, total: int = 1000) -> None:
    """A 200 whose body arrives one byte every `every` seconds."""
    exchange.head(200, [("Content-Type", "application/json"), ("Content-Length", str(total))])
    for _ in range(total):
        exchange.send(b" ")
        time.sleep(every)
