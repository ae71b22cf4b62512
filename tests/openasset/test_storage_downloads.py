"""OpenAsset size files on a storage host, against real TLS servers on loopback (asyncio and trio).

The storage host is fetched by `Engine.stream_external`: through the engine's pool, proxy and TLS
settings, without any credential, cookie or API header on any hop; redirects may move a link to
another https origin (S3's 307 to a regional endpoint) but never to http, at most `max_redirects`
times; the body is bounded by `max_download_bytes` and cut into the caller's `chunk_size`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from asyncdam.engine.errors import (
    APIStatusError,
    InvalidArgumentError,
    InvalidRequestError,
    ResponseTooLarge,
    UnexpectedRedirect,
)
from asyncdam.openasset import OpenAsset
from tests.engine.loopback_proxy import LoopbackProxy
from tests.reliability.hostile_server import Exchange, HostileServer
from tests.tls_support import tls_contexts

HANG_GUARD = 15.0  # seconds: catches a hang, claims nothing about speed
TOKEN = ("12", "VerySecretTokenString_abcdefghijklmnopqrstuv")
SESSION_KEY = "s3ssion-key-0123456789"
SIGNATURE = "X-Amz-Signature=s1gnature0123"
PHOTO = bytes(range(256)) * 400  # 102,400 bytes, every offset recognisable
CREDENTIAL_HEADERS = ("authorization", "x-sessionkey", "cookie", "proxy-authorization")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every test here runs on asyncio and on trio."""
    return str(request.param)


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context) from one throwaway CA, for 127.0.0.1 and localhost."""
    return tls_contexts()


Route = Callable[[Exchange], None]


def sizes_at(root: str, relative: str = "/photo.jpg") -> Route:
    """The API's answer to `GET Files/3/Sizes`: one size on `root`; it also hands out a session
    key and a cookie, the credentials that must never reach the storage host."""

    def handler(ex: Exchange) -> None:
        size = {"id": "2", "http_root": root, "http_relative_path": relative}
        headers = [
            ("X-Full-Results-Count", "1"),
            ("X-SessionKey", SESSION_KEY),
            ("Set-Cookie", "oa_session=c00kie-value; Path=/"),
        ]
        ex.json(200, [size], headers)

    return handler


def serve(body: bytes, piece: int = 32768) -> Route:
    """A 200 with `body` in chunked pieces of `piece` bytes."""

    def handler(ex: Exchange) -> None:
        chunks = (body[i : i + piece] for i in range(0, len(body), piece))
        ex.chunked(200, chunks, [("Content-Type", "image/jpeg")])

    return handler


def redirect(location: str, status: int = 302) -> Route:
    def handler(ex: Exchange) -> None:
        ex.reply(status, b"", [("Location", location)])

    return handler


@pytest.fixture
def servers(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[dict[str, HostileServer]]:
    """The API, a storage host, a regional endpoint (three https origins), a plain http one."""
    server_context, _ = tls
    with (
        HostileServer({}, tls=server_context) as api,
        HostileServer({}, tls=server_context) as storage,
        HostileServer({}, tls=server_context) as regional,
        HostileServer({}) as plain,
    ):
        yield {"api": api, "storage": storage, "regional": regional, "plain": plain}


def client(
    servers: dict[str, HostileServer], tls: tuple[ssl.SSLContext, ssl.SSLContext], **options: Any
) -> OpenAsset:
    return OpenAsset(servers["api"].origin, token=TOKEN, verify=tls[1], cache=False, **options)


def files_in(directory: Path) -> list[str]:
    """What a failed download left behind (nothing: no file, no `.part`)."""
    return sorted(p.name for p in directory.iterdir())


def assert_no_credentials(server: HostileServer) -> None:
    assert server.seen, "the server was never asked"
    for _, _, headers in server.seen:
        assert not set(CREDENTIAL_HEADERS) & set(headers), headers
        assert headers["user-agent"].startswith("asyncdam/")


async def test_a_storage_download_goes_through_the_engine_without_credentials(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage = servers["api"], servers["storage"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"//127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = serve(PHOTO)
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD):
            first = await oa.files.download(3, 2)
            second = await oa.files.download(3, 2)
        stats = oa.engine.stats
    assert first == second == PHOTO
    # The API saw the token, then the session key; the storage host (same host, another port,
    # so a cookie jar would match it) saw neither, nor the API's cookie.
    assert api.seen[0][2]["authorization"].startswith("OATU ")
    assert api.seen[1][2]["x-sessionkey"] == SESSION_KEY
    assert len(storage.seen) == 2
    assert_no_credentials(storage)
    assert stats.requests == 4 and stats.bytes_received >= 2 * len(PHOTO)


async def test_an_s3_style_307_to_a_regional_endpoint_is_followed(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage, regional = servers["api"], servers["storage"], servers["regional"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    signed = f"https://localhost:{regional.port}/bucket/photo.jpg?{SIGNATURE}"
    storage.routes["/bucket/photo.jpg"] = redirect(signed, 307)
    regional.routes["/bucket/photo.jpg"] = serve(PHOTO)
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD):
            assert await oa.files.download(3, 2) == PHOTO
        assert oa.engine.stats.redirects_followed == 1
    assert regional.seen[0][1] == f"/bucket/photo.jpg?{SIGNATURE}"  # the signature arrives whole
    assert_no_credentials(storage)
    assert_no_credentials(regional)


async def test_a_storage_error_after_a_redirect_is_typed_and_hides_the_signature(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage, regional = servers["api"], servers["storage"], servers["regional"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    signed = f"https://localhost:{regional.port}/bucket/photo.jpg?{SIGNATURE}"
    storage.routes["/bucket/photo.jpg"] = redirect(signed, 307)
    denied = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    regional.routes["/bucket/photo.jpg"] = lambda ex: ex.reply(
        403, denied, [("Content-Type", "application/xml")]
    )
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(APIStatusError) as caught:
            await oa.files.download(3, 2)
    assert caught.value.status == 403
    assert "s1gnature" not in str(caught.value) and "s1gnature" not in caught.value.url
    assert caught.value.url.endswith("/bucket/photo.jpg?***")


async def test_a_storage_redirect_to_http_is_refused_and_nothing_is_written(
    servers: dict[str, HostileServer], tls: Any, tmp_path: Path
) -> None:
    api, storage, plain = servers["api"], servers["storage"], servers["plain"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = redirect(f"{plain.origin}/photo.jpg?{SIGNATURE}")
    plain.routes["/photo.jpg"] = serve(PHOTO)
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(UnexpectedRedirect) as caught:
            await oa.files.download_to(3, tmp_path / "photo.jpg", 2)
        assert oa.engine.stats.redirects_followed == 0
    assert "downgrade https to http" in str(caught.value)
    assert "s1gnature" not in str(caught.value)
    assert caught.value.location is not None and caught.value.location.endswith("?***")
    assert plain.seen == []
    assert files_in(tmp_path) == []


async def test_a_storage_redirect_with_userinfo_is_refused(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage, regional = servers["api"], servers["storage"], servers["regional"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = redirect(
        f"https://user:pa55word@localhost:{regional.port}/photo.jpg"
    )
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(UnexpectedRedirect, match="userinfo"):
            await oa.files.download(3, 2)
    assert regional.seen == []


async def test_a_storage_redirect_loop_ends_at_max_redirects(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage = servers["api"], servers["storage"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = redirect(f"https://localhost:{storage.port}/loop")
    storage.routes["/loop"] = redirect(f"https://127.0.0.1:{storage.port}/bucket/photo.jpg")
    async with client(servers, tls, max_redirects=2) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(UnexpectedRedirect, match="max_redirects"):
            await oa.files.download(3, 2)
        assert oa.engine.stats.redirects_followed == 2
    assert len(storage.seen) == 3  # the link and two hops


async def test_a_plain_http_storage_link_is_refused_before_connecting(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    plain = servers["plain"]
    servers["api"].routes["/REST/1/Files/3/Sizes"] = sizes_at(f"{plain.origin}/bucket")
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(InvalidRequestError, match="https"):
            await oa.files.download(3, 2)
    assert plain.seen == []


async def test_storage_downloads_stop_at_max_download_bytes_and_leave_no_file(
    servers: dict[str, HostileServer], tls: Any, tmp_path: Path
) -> None:
    api, storage = servers["api"], servers["storage"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = serve(PHOTO, piece=8192)
    async with client(servers, tls, max_download_bytes=50_000) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(ResponseTooLarge) as caught:
            await oa.files.download_to(3, tmp_path / "photo.jpg", 2)
    assert caught.value.setting == "max_download_bytes" and caught.value.limit == 50_000
    assert files_in(tmp_path) == []


async def test_iter_download_honours_chunk_size_from_a_storage_host(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage = servers["api"], servers["storage"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = serve(PHOTO, piece=len(PHOTO))  # one big piece
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD):
            chunks = [c async for c in oa.files.iter_download(3, 2, chunk_size=1000)]
            with pytest.raises(InvalidArgumentError, match="chunk_size"):
                async for _ in oa.files.iter_download(3, 2, chunk_size=0):
                    pass
    assert b"".join(chunks) == PHOTO
    assert max(len(c) for c in chunks) == 1000 and len(chunks) >= len(PHOTO) // 1000


async def test_storage_downloads_use_the_engine_proxy(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage = servers["api"], servers["storage"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")
    storage.routes["/bucket/photo.jpg"] = serve(PHOTO)
    with LoopbackProxy() as proxy:
        async with client(servers, tls, proxy=proxy.url()) as oa:
            with anyio.fail_after(HANG_GUARD):
                assert await oa.files.download(3, 2) == PHOTO
    tunnels = [target for method, target, _ in proxy.seen if method == "CONNECT"]
    assert f"127.0.0.1:{storage.port}" in tunnels and f"127.0.0.1:{api.port}" in tunnels
    assert_no_credentials(storage)


async def test_a_storage_error_with_a_broken_body_still_reports_its_status(
    servers: dict[str, HostileServer], tls: Any
) -> None:
    api, storage = servers["api"], servers["storage"]
    api.routes["/REST/1/Files/3/Sizes"] = sizes_at(f"https://127.0.0.1:{storage.port}/bucket")

    def broken(ex: Exchange) -> None:
        ex.head(503, [("Content-Length", "1000")])
        ex.send(b"<Error>")  # then the connection closes

    storage.routes["/bucket/photo.jpg"] = broken
    async with client(servers, tls) as oa:
        with anyio.fail_after(HANG_GUARD), pytest.raises(APIStatusError) as caught:
            await oa.files.download(3, 2)
    assert caught.value.status == 503
    assert len(storage.seen) == 1  # a storage host is fetched once, never retried
