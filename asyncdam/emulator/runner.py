"""Serve an emulator app on a loopback socket with uvicorn, from a background thread or the CLI."""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys
import threading
from types import FrameType, TracebackType
from typing import Any, Self, TextIO

import anyio.to_thread

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.faults import ASGIApp, InjectedFault
from asyncdam.emulator.registry import base_path, create_app

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class _DropInjectedFaults(logging.Filter):
    """Keep uvicorn from printing a traceback for every connection we break on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, InjectedFault)


_FAULT_FILTER = _DropInjectedFaults()


def is_loopback(host: str) -> bool:
    """Whether `host` names the loopback interface (an address in 127/8, ::1, or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """Open the listening socket ourselves, so port 0 yields a known free port before startup."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections; with proto 0
    # it skips that, and Nagle plus delayed ACKs add ~40 ms to every keep-alive response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class EmulatorServer:
    """One emulator served by uvicorn on its own thread and event loop.

    Use it as a context manager (sync or async); `base_url` is the URL to give a client, API prefix
    included. Binding anything but loopback needs `allow_public=True`. `app` overrides the service
    app (for tests of the server itself); `log_config` is passed to uvicorn (None leaves logging
    alone).
    """

    def __init__(
        self,
        service: str,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_public: bool = False,
        app: ASGIApp | None = None,
        log_config: dict[str, Any] | None = None,
        log_level: str = "warning",
    ) -> None:
        if not allow_public and not is_loopback(host):
            raise ValueError(
                f"refusing to serve on non-loopback host {host!r}; pass allow_public=True to do so"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be within 0..65535, got {port}")
        self.service = service
        self.config = config if config is not None else EmulatorConfig()
        self.host = host
        self.requested_port = port
        self._app = app
        self._log_config = log_config
        self._log_level = log_level
        self._prefix = base_path(service) if app is None else ""
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        """The port actually listened on (known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator server is not started")
        return self._port

    @property
    def origin(self) -> str:
        """`http://host:port`, without the API prefix."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. `http://127.0.0.1:8400/v2` for Phrase."""
        return self.origin + self._prefix

    @property
    def token(self) -> str:
        """The credential the emulator accepts."""
        return self.config.token

    @property
    def token_pair(self) -> tuple[str, str]:
        """The token as the `(id, secret)` pair `OpenAsset(token=...)` takes (from `ID:SECRET`)."""
        from asyncdam.emulator.openasset.auth import split_token

        return split_token(self.config.token)

    @property
    def running(self) -> bool:
        """Whether the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Bind, start serving in a background thread, and return once requests are accepted."""
        import uvicorn

        if self._thread is not None:
            raise RuntimeError("the emulator server was already started")
        app = self._app if self._app is not None else create_app(self.service, self.config)
        uvicorn_error = logging.getLogger("uvicorn.error")
        if _FAULT_FILTER not in uvicorn_error.filters:
            uvicorn_error.addFilter(_FAULT_FILTER)
        self._sock = _bind(self.host, self.requested_port)
        self._port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            app,
            interface="asgi3",
            lifespan="auto",
            log_config=self._log_config,
            log_level=self._log_level,
            access_log=False,
            timeout_graceful_shutdown=2,
            # The Phrase emulator dates its answers by its own (replaceable) clock.
            date_header=self.service != "phrase",
        )
        ready = self._ready

        class _Server(uvicorn.Server):
            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets=sockets)
                ready.set()

        self._server = _Server(config)
        self._thread = threading.Thread(
            target=self._serve, name=f"asyncdam-emulator-{self.service}", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout) or not self._server.started:
            self.stop()
            detail = f": {self._failure!r}" if self._failure is not None else ""
            raise RuntimeError(f"the {self.service} emulator failed to start{detail}")

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # reported by start(); the thread must not die noisily
            self._failure = exc
        finally:
            self._ready.set()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Ask uvicorn to shut down, wait for the thread, close the socket. Safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)


def run_forever(
    service: str,
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    allow_public: bool = False,
    out: TextIO | None = None,
) -> int:
    """Serve until SIGINT or SIGTERM; print the base URL as one line once ready. Returns 0."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = EmulatorServer(
            service, config, host, port, allow_public=allow_public, log_config=_cli_log_config()
        )
        with server:
            stream = out if out is not None else sys.stdout
            print(server.base_url, file=stream, flush=True)
            # A timed wait keeps the main thread responsive to signals and notices a dead server.
            while not stop.wait(0.25):
                if not server.running:
                    return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _cli_log_config() -> dict[str, Any]:
    """uvicorn's warnings and errors on stderr, without access logs, for the CLI."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
    }
