"""Shared setup for the engine and Phrase benchmarks: emulator, request recorder, bench dialect."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import httpx

from asyncdam._version import __version__
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.registry import base_path, create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.keys import short_hash
from asyncdam.engine.types import Rate

USER_AGENT = f"asyncdam-bench/{__version__} (asyncdam benchmarks)"


class Recorder:
    """ASGI wrapper noting (arrival epoch seconds, status) of every HTTP request it serves."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.events: list[tuple[float, int]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.time()

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.events.append((arrived, int(message["status"])))
            await send(message)

        await self.app(scope, receive, watch)


@attrs.define
class Emulator:
    """A running Phrase emulator: where it is, its counters and the recorded requests."""

    base_url: str
    token: str
    recorder: Recorder

    @property
    def stats(self) -> Any:
        """The emulator's `app.state.stats` (requests, counted, not_modified, 429s)."""
        return self.recorder.state.stats

    @property
    def project_id(self) -> str:
        """The seeded main project (the largest one)."""
        return str(next(iter(self.recorder.state.store.projects)))

    def counts(self) -> dict[str, Any]:
        """The emulator's counters as plain numbers."""
        return stats_dict(self.stats)


def stats_dict(s: Any) -> dict[str, Any]:
    """Plain numbers from an emulator `Stats`."""
    return {
        "requests": s.requests,
        "counted": s.counted,
        "not_modified": s.not_modified,
        "429": s.total_429,
        "429_by_reason": dict(s.rate_limited),
        "max_in_flight": s.max_in_flight,
    }


@contextmanager
def phrase_emulator(config: EmulatorConfig) -> Iterator[Emulator]:
    """Serve a Phrase emulator on loopback in a thread, wrapped by a `Recorder`."""
    app = create_app("phrase", config)
    recorder = Recorder(app)
    server = EmulatorServer("phrase", config, app=recorder)
    with server:
        yield Emulator(server.origin + base_path("phrase"), server.token, recorder)


def _serve_in_child(config: EmulatorConfig, conn: Any) -> None:
    """Child process body: serve, report where, answer "stats" until told to "stop"."""
    with phrase_emulator(config) as emu:
        conn.send({"base_url": emu.base_url, "project_id": emu.project_id})
        while (command := conn.recv()) != "stop":
            if command == "stats":
                conn.send({**emu.counts(), "cpu_seconds": time.process_time()})


@attrs.define
class RemoteEmulator:
    """A Phrase emulator in a child process (its CPU work off this process's GIL)."""

    base_url: str
    token: str
    project_id: str
    conn: Any

    def counts(self) -> dict[str, Any]:
        """The emulator's counters and its process CPU seconds, fetched from the child."""
        self.conn.send("stats")
        result: dict[str, Any] = self.conn.recv()
        return result


@contextmanager
def phrase_emulator_process(config: EmulatorConfig) -> Iterator[RemoteEmulator]:
    """Serve a Phrase emulator on loopback from a spawned child process."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve_in_child, args=(config, child), daemon=True)
    process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the emulator process did not start")
        info = parent.recv()
        yield RemoteEmulator(info["base_url"], config.token, info["project_id"], parent)
    finally:
        if process.is_alive():
            try:
                parent.send("stop")
            except OSError:
                pass
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve any ASGI app on loopback in a thread; yields its base URL.

    It goes through the emulator runner, whose socket gets TCP_NODELAY on accepted connections:
    without it, Nagle plus delayed ACKs add ~40 ms to every keep-alive response.
    """
    with EmulatorServer("phrase", app=app) as server:
        yield server.origin


def _serve_app_in_child(app: Any, conn: Any) -> None:
    with serve_app(app) as base:
        conn.send(base)
        conn.recv()


@contextmanager
def serve_app_process(app: Any) -> Iterator[str]:
    """Serve a picklable ASGI app from a spawned child process (off this process's GIL)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve_app_in_child, args=(app, child), daemon=True)
    process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the app server process did not start")
        yield str(parent.recv())
    finally:
        if process.is_alive():
            try:
                parent.send("stop")
            except OSError:
                pass
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join(5)


class TokenAuth(httpx.Auth):
    """Phrase's `Authorization: token T` scheme."""

    def __init__(self, token: str) -> None:
        self._header = f"token {token}"

    def __repr__(self) -> str:
        return "TokenAuth(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header and send."""
        request.headers["Authorization"] = self._header
        yield request


def bench_dialect(
    base_url: str,
    token: str,
    *,
    concurrency: int,
    initial_rate: Rate | None = None,
    name: str = "bench",
) -> BaseDialect:
    """A minimal dialect: token auth, a User-Agent, the default X-Rate-Limit-* reading."""
    return BaseDialect(
        name=name,
        base_url=check_base_url(base_url),
        auth=TokenAuth(token),
        default_headers={"User-Agent": USER_AGENT},
        credential_id=short_hash(token),
        concurrency=concurrency,
        initial_rate=initial_rate,
    )
