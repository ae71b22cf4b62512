"""`Phrase.save_locale_async` against real TLS servers on loopback (asyncio and trio): the locale
appears at its path only complete (temporary `.part` beside it, then an atomic rename), a failure
or a cancellation leaves no partial file and the previous file untouched, file writes run off the
event loop, and the signed link is fetched without credentials."""

from __future__ import annotations

import io
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from asyncdam.engine.errors import ResponseTooLarge, TransportError
from asyncdam.phrase import Backoff, Phrase
from tests.reliability.hostile_server import Exchange, HostileServer
from tests.tls_support import tls_contexts

HANG_GUARD = 15.0  # seconds: catches a hang, claims nothing about speed
FAST = Backoff(initial=0.001, maximum=0.002, jitter=0.0, timeout=5.0)
TOKEN = "t0ken-secret-value"
DOWNLOADS = "/v2/projects/p1/locales/en/downloads"
HEAD = b"en:\n" + b"  greeting: hello\n" * 200  # 3,604 bytes
TAIL = b"  farewell: bye\n" * 100


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every test here runs on asyncio and on trio."""
    return str(request.param)


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return tls_contexts()


class Held:
    """A CDN body sent in two parts: `HEAD`, then `TAIL` once the test lets it go."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, ex: Exchange) -> None:
        def parts() -> Iterator[bytes]:
            yield HEAD
            self.release.wait(HANG_GUARD)
            yield TAIL

        ex.chunked(200, parts(), [("Content-Type", "application/x-yaml")])


@pytest.fixture
def servers(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[tuple[HostileServer, ...]]:
    """The Phrase API and a CDN on another origin; the API's download completes at once with a
    signed link to the CDN's `/exports/d1.yml`."""
    with (
        HostileServer({}, tls=tls[0]) as api,
        HostileServer({}, tls=tls[0]) as cdn,
    ):
        link = f"https://localhost:{cdn.port}/exports/d1.yml?signature=s1gn"
        api.routes[DOWNLOADS] = lambda ex: ex.json(201, {"id": "d1", "status": "processing"})
        api.routes[f"{DOWNLOADS}/d1"] = lambda ex: ex.json(
            200, {"id": "d1", "status": "completed", "result": {"url": link}}
        )
        yield api, cdn


def phrase_for(api: HostileServer, tls: Any, **options: Any) -> Phrase:
    return Phrase(token=TOKEN, base_url=f"{api.origin}/v2", verify=tls[1], cache=False, **options)


def entries(directory: Path) -> dict[str, bytes]:
    """Every file in `directory` with its content."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


async def until_partial(directory: Path) -> None:
    """Wait (bounded by the caller's hang guard) until the download's body has started: its
    `.part` file exists beside the target (created once the CDN's headers have arrived)."""
    while not has_partial(directory):  # noqa: ASYNC110 (a file has no change event to wait on)
        await anyio.sleep(0.005)


def has_partial(directory: Path) -> bool:
    return any(p.name.endswith(".part") for p in directory.iterdir())


async def test_a_locale_appears_only_complete_via_an_atomic_rename(
    servers: tuple[HostileServer, HostileServer], tls: Any, tmp_path: Path
) -> None:
    api, cdn = servers
    held = Held()
    cdn.routes["/exports/d1.yml"] = held
    target = tmp_path / "en.yml"
    target.write_bytes(b"previous version\n")
    written: list[int] = []
    async with phrase_for(api, tls) as phrase:

        async def save() -> None:
            written.append(
                await phrase.save_locale_async("p1", "en", target, file_format="yml", backoff=FAST)
            )

        with anyio.fail_after(HANG_GUARD):
            async with anyio.create_task_group() as tg:
                tg.start_soon(save)
                # Mid-download (the CDN holds back the rest): the bytes go to a .part file
                # beside the target, which still holds the previous version.
                await until_partial(tmp_path)
                assert target.read_bytes() == b"previous version\n"
                held.release.set()
    assert written == [len(HEAD) + len(TAIL)]
    assert entries(tmp_path) == {"en.yml": HEAD + TAIL}
    # The signed link went to the CDN without the API token.
    ((_, path, headers),) = cdn.seen
    assert path == "/exports/d1.yml?signature=s1gn" and "authorization" not in headers
    assert api.seen[0][2]["authorization"] == f"token {TOKEN}"


def too_big(ex: Exchange) -> None:
    ex.chunked(200, iter([HEAD, TAIL, TAIL]), [])


def cut_short(ex: Exchange) -> None:
    ex.head(200, [("Content-Length", str(len(HEAD) + len(TAIL)))])
    ex.send(HEAD)  # then the connection closes


@pytest.mark.parametrize(
    ("route", "error"), [(too_big, ResponseTooLarge), (cut_short, TransportError)]
)
async def test_a_failed_save_removes_the_partial_file_and_keeps_the_old_one(
    servers: tuple[HostileServer, HostileServer],
    tls: Any,
    tmp_path: Path,
    route: Callable[[Exchange], None],
    error: type[Exception],
) -> None:
    api, cdn = servers
    cdn.routes["/exports/d1.yml"] = route
    target = tmp_path / "en.yml"
    target.write_bytes(b"previous version\n")
    async with phrase_for(api, tls, max_download_bytes=len(HEAD) + len(TAIL)) as phrase:
        with anyio.fail_after(HANG_GUARD), pytest.raises(error) as caught:
            await phrase.save_locale_async("p1", "en", target, file_format="yml", backoff=FAST)
    if isinstance(caught.value, ResponseTooLarge):
        assert caught.value.setting == "max_download_bytes"
    assert "s1gn" not in str(caught.value)
    assert entries(tmp_path) == {"en.yml": b"previous version\n"}


async def test_a_cancelled_save_removes_the_partial_file(
    servers: tuple[HostileServer, HostileServer], tls: Any, tmp_path: Path
) -> None:
    api, cdn = servers
    held = Held()
    cdn.routes["/exports/d1.yml"] = held
    target = tmp_path / "en.yml"
    try:
        async with phrase_for(api, tls) as phrase:
            with anyio.fail_after(HANG_GUARD):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(
                        lambda: phrase.save_locale_async(
                            "p1", "en", target, file_format="yml", backoff=FAST
                        )
                    )
                    await until_partial(tmp_path)
                    tg.cancel_scope.cancel()
    finally:
        held.release.set()
    assert entries(tmp_path) == {}


class ThreadRecordingFile(io.BytesIO):
    """A binary file that notes which thread each write ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def write(self, data: Any) -> int:
        self.threads.add(threading.get_ident())
        return super().write(data)


async def test_writes_to_a_file_object_run_off_the_event_loop(
    servers: tuple[HostileServer, HostileServer], tls: Any
) -> None:
    api, cdn = servers
    cdn.routes["/exports/d1.yml"] = lambda ex: ex.chunked(200, iter([HEAD, TAIL]), [])
    out = ThreadRecordingFile()
    async with phrase_for(api, tls) as phrase:
        with anyio.fail_after(HANG_GUARD):
            written = await phrase.save_locale_async(
                "p1", "en", out, file_format="yml", backoff=FAST
            )
    assert written == len(HEAD) + len(TAIL) and out.getvalue() == HEAD + TAIL
    assert out.threads and threading.get_ident() not in out.threads
