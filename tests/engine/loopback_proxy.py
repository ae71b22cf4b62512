"""A small HTTP forward proxy on 127.0.0.1 for the proxy tests: absolute-form requests are
forwarded, CONNECT opens a tunnel. Threads and raw sockets, so it serves asyncio and trio alike.
`seen` records (method, target, Proxy-Authorization) of every request it handled."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit


class LoopbackProxy:
    """Forward plain requests and tunnel CONNECT, on a free loopback port."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, userinfo: str = "") -> str:
        """`http://[userinfo@]127.0.0.1:PORT`."""
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                data = client.recv(65536)
                if not data:
                    return
                head += data
            header, _, rest = head.partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            fields = [line.partition(":") for line in lines[1:]]
            auth = next((v.strip() for k, _, v in fields if k.lower() == "proxy-authorization"), "")
            self.seen.append((method, target, auth))
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection((host, int(port)))
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
            else:
                parts = urlsplit(target)
                upstream = socket.create_connection((parts.hostname or "", parts.port or 80))
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                kept = [
                    f"{k}:{v}" for k, _, v in fields if k.lower() not in {"proxy-authorization"}
                ]
                request = "\r\n".join([f"{method} {path} {version}", *kept]) + "\r\n\r\n"
                upstream.sendall(request.encode("latin-1") + rest)
            self._relay(client, upstream)
        except OSError:
            pass
        finally:
            client.close()

    @staticmethod
    def _relay(client: socket.socket, upstream: socket.socket) -> None:
        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (src, dst):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        back.join(timeout=5)
        upstream.close()
