"""Redis faults during a job: a worker SIGKILLed while holding the shared slot; Redis restarted.

Needs a `redis-server` binary (skipped without one). Jobs page through a Phraseanet emulator with
an Engine whose limiter (one slot) lives in Redis; outputs are compared with a fault-free listing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import anyio
import pytest

pytest.importorskip("redis")
pytest.importorskip("uvicorn")

from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.phraseanet import create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.events import Event, Hooks
from asyncdam.engine.keys import KEY_SECRET_ENV
from asyncdam.engine.redis import RedisBackend
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import Phraseanet

pytestmark = [pytest.mark.redis, pytest.mark.slow]

REDIS_SERVER = shutil.which("redis-server")
WORKER = Path(__file__).with_name("redis_job_worker.py")
TOKEN = "redis-faults-token"
LEASE = 1.0  # the worker's lease (redis_job_worker.LEASE)
PER_PAGE = 5
KILL_AT_REQUEST = 3


class Redis:
    """A throwaway redis-server on a free loopback port, restartable on that port."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir"]
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            [REDIS_SERVER, *args, str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def redis_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Redis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    # The key secret every worker shares (RedisBackend refuses to run without one).
    monkeypatch.setenv(KEY_SECRET_ENV, "reliability-shared-key-secret")
    server = Redis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _config(latency_ms: float) -> EmulatorConfig:
    return EmulatorConfig(
        seed=6, size=0.02, token=TOKEN, faults=FaultConfig(latency_ms=latency_ms, seed=6)
    )


async def _listing(transport: Any, backend: RedisBackend | None = None, **kw: Any) -> list[Any]:
    async with Engine(transport=transport, backend=backend, cache=False, **kw) as engine:
        async with Phraseanet("http://127.0.0.1", token=TOKEN, engine=engine, concurrency=1) as pn:
            return [(r.databox_id, r.record_id) async for r in pn.records.search(per_page=PER_PAGE)]


def test_worker_killed_holding_the_slot_job_resumes_after_the_lease(
    redis_server: Redis, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = anyio.run(_listing, emulator_transport(create_app(_config(0))))
    assert len(expected) > 3 * PER_PAGE
    # Each request takes 300 ms on the server, so the worker is mid-request (holding the only
    # slot) when it is killed right after announcing request number KILL_AT_REQUEST.
    config = _config(300)
    with EmulatorServer("phraseanet", config, app=create_app(config)) as server:
        out = tmp_path / "job.jsonl"
        worker = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, str(WORKER), redis_server.url, "job", server.origin, TOKEN, str(out)],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        try:
            assert worker.stdout is not None
            while True:
                line = worker.stdout.readline()
                assert line, "worker ended before it was killed"
                if line.strip() == f"SENT {KILL_AT_REQUEST}".encode():
                    break
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
            if worker.stdout is not None:
                worker.stdout.close()
        assert worker.returncode == -signal.SIGKILL

        rows = [json.loads(line) for line in out.read_text().splitlines()]
        before = [tuple(r["item"]) for r in rows if "item" in r]
        cursors = [r["cursor"] for r in rows if "cursor" in r]
        assert before and cursors

        async def resume() -> tuple[list[Any], float]:
            started = time.monotonic()
            first: list[float] = []

            def on_request(event: Event) -> None:
                first.append(time.monotonic() - started)

            backend = RedisBackend(redis_server.url, key_prefix="job", lease_seconds=LEASE)
            hooks = Hooks(request=[on_request])
            try:
                async with Engine(backend=backend, cache=False, hooks=hooks) as engine:
                    async with Phraseanet(
                        server.origin, token=TOKEN, engine=engine, concurrency=1
                    ) as pn:
                        listing = pn.records.search(per_page=PER_PAGE, cursor=cursors[-1])
                        with anyio.fail_after(10 * LEASE + 30):
                            items = [(r.databox_id, r.record_id) async for r in listing]
            finally:
                await backend.aclose()
            return items, first[0]

        after, waited = anyio.run(resume)
    union = before + after
    duplicates = len(union) - len(set(union))
    losses = len(set(expected) - set(union))
    with capsys.disabled():
        print(
            f"\n[redis kill] items={len(union)} before_kill={len(before)} "
            f"slot_freed_after={waited:.2f}s lease={LEASE}s losses={losses} duplicates={duplicates}"
        )
    assert union == expected
    # The dead worker's slot really blocked the new job until its lease lapsed (no sooner).
    assert waited >= LEASE / 4


# Known bug (reported to the lead, Redis backend not ours to edit): after a restart the first
# command on each pooled connection fails ("Connection closed by server") even though Redis is
# up again, and "fail" mode turns it into BackendUnavailable; strict, so the fix shows up here.
@pytest.mark.parametrize("on_failure", ["fail", "local"])
def test_redis_restarted_mid_job_loses_nothing(
    redis_server: Redis, on_failure: Literal["fail", "local"], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = anyio.run(_listing, emulator_transport(create_app(_config(0))))

    async def job() -> tuple[list[Any], int]:
        transport = emulator_transport(create_app(_config(20)))
        backend = RedisBackend(
            redis_server.url,
            key_prefix=f"r{on_failure}",
            lease_seconds=LEASE,
            on_failure=on_failure,
        )
        items: list[Any] = []
        try:
            async with Engine(transport=transport, backend=backend, cache=False) as engine:
                async with Phraseanet(
                    "http://127.0.0.1", token=TOKEN, engine=engine, concurrency=1
                ) as pn:
                    # "fail" mode raises while Redis is down, by design: there the restart falls
                    # between two requests; "local" mode rides out a restart mid-request.
                    ahead = 1 if on_failure == "local" else 0
                    listing = pn.records.search(per_page=PER_PAGE, fetch_ahead=ahead)
                    with anyio.fail_after(10 * LEASE + 30):
                        async for page in listing.pages():
                            items += [(r.databox_id, r.record_id) for r in page.items]
                            if page.index == 1:
                                # With fetch-ahead, the next page is in flight meanwhile.
                                await anyio.to_thread.run_sync(redis_server.restart)
                    after = await backend.shared_limiter.snapshot(engine_scope(pn))
        finally:
            await backend.aclose()
        return items, len(after)

    items, state = anyio.run(job)
    duplicates = len(items) - len(set(items))
    with capsys.disabled():
        print(
            f"\n[redis restart {on_failure}] items={len(items)} "
            f"losses={len(set(expected) - set(items))} duplicates={duplicates}"
        )
    assert items == expected
    assert state > 0  # the shared limiter state was rebuilt in the restarted Redis


def engine_scope(pn: Phraseanet) -> str:
    """The limiter scope the engine uses for this client's requests."""
    from asyncdam.engine.request import Request

    return pn.dialect.scope_for(Request(method="GET", path="v1/search/"))
