"""The credential-free fetch of signed links (`open_external`, behind `Engine.stream_external`):
its redirect policy (pure), what it shows of a link, what it sends, and its redirect events."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import anyio
import httpx
import pytest

from asyncdam.engine.errors import InvalidArgumentError, InvalidRequestError, UnexpectedRedirect
from asyncdam.engine.events import Event, Hooks
from asyncdam.engine.redirects import decide_redirect
from asyncdam.engine.session import Engine
from asyncdam.engine.streaming import link_request, open_external, shown_link
from tests.reliability.hostile_server import Exchange, HostileServer
from tests.tls_support import tls_contexts

HANG_GUARD = 15.0
LINK = httpx.URL("https://bucket.s3.amazonaws.com/exports/d1.yml?X-Amz-Signature=s1gn")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The coroutine tests here run on asyncio and on trio."""
    return str(request.param)


def hop(location: str, *, hops: int = 0, cross_origin: bool = True, status: int = 307) -> str:
    decision = decide_redirect(
        method="GET",
        status=status,
        current=LINK,
        location=location,
        hops=hops,
        max_hops=5,
        cross_origin=cross_origin,
    )
    return decision.reason if not decision.follow else f"follow {decision.target}"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_signed_link_may_move_to_another_https_origin(status: int) -> None:
    target = "https://bucket.s3.eu-west-1.amazonaws.com/exports/d1.yml?X-Amz-Signature=s1gn"
    assert hop(target, status=status) == f"follow {target}"


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://bucket.s3.amazonaws.com/d1.yml", "downgrade https to http"),
        ("ftp://bucket.s3.amazonaws.com/d1.yml", "downgrade https"),
        ("https://user:pw@mirror.example/d1.yml", "userinfo"),
    ],
)
def test_a_signed_link_never_leaves_https_nor_takes_userinfo(location: str, reason: str) -> None:
    assert reason in hop(location)


def test_the_policy_holds_a_plain_http_link_too() -> None:
    # open_external never starts from http; the pure policy still refuses to follow one.
    decision = decide_redirect(
        method="GET",
        status=302,
        current=httpx.URL("http://cdn.example/a"),
        location="http://mirror.example/a",
        hops=0,
        max_hops=5,
        cross_origin=True,
    )
    assert not decision.follow and "stays on https" in decision.reason


def test_a_signed_link_follows_at_most_max_redirects() -> None:
    assert hop("https://mirror.example/d1.yml", hops=4).startswith("follow")
    assert "max_redirects" in hop("https://mirror.example/d1.yml", hops=5)
    assert "status 300" in hop("https://mirror.example/d1.yml", status=300)


def test_api_calls_keep_the_same_origin_policy() -> None:
    # The default (every API call) still refuses what a signed link may follow.
    assert "another origin" in hop("https://mirror.example/d1.yml", cross_origin=False)
    assert hop("/other.yml", cross_origin=False).startswith("follow https://bucket.s3")


def test_a_shown_link_masks_its_signature_and_userinfo() -> None:
    assert shown_link(LINK) == "https://bucket.s3.amazonaws.com/exports/d1.yml?***"
    assert shown_link("https://u:p@cdn.example/a.yml") == "https://cdn.example/a.yml"
    assert shown_link("https://cdn.example/a.yml") == "https://cdn.example/a.yml"


def test_the_link_request_carries_nothing_of_the_caller() -> None:
    http = httpx.AsyncClient(headers={"Authorization": "token t0psecret"}, timeout=7.0)
    http.cookies.set("session", "c00kie")
    request = link_request(http, LINK)
    assert {k.lower() for k in request.headers} == {
        "accept",
        "accept-encoding",
        "user-agent",
        "host",
    }
    assert request.extensions["timeout"]["read"] == 7.0  # the engine's own timeout applies


@pytest.mark.parametrize(
    "url", ["http://cdn.example/a", "/relative/path", "https://u:p@cdn.example/a"]
)
async def test_only_an_absolute_https_link_without_userinfo_is_fetched(url: str) -> None:
    async with Engine(cache=False) as engine:
        with pytest.raises(InvalidRequestError, match="refusing to fetch"):
            async with engine.stream_external(url):
                pass
        assert engine.stats.requests == 0


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return tls_contexts()


@pytest.fixture
def cdn(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[HostileServer]:
    with HostileServer({}, tls=tls[0]) as server:
        yield server


async def test_each_followed_hop_is_counted_and_sent_to_the_redirect_hook(
    cdn: HostileServer, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    moved = f"https://localhost:{cdn.port}/regional/d1.yml?X-Amz-Signature=s1gn"

    def first(ex: Exchange) -> None:
        ex.reply(307, b"", [("Location", moved)])

    cdn.routes["/d1.yml"] = first
    cdn.routes["/regional/d1.yml"] = lambda ex: ex.reply(200, b"en:\n  a: b\n")
    seen: list[Event] = []
    async with Engine(cache=False, verify=tls[1]) as engine:
        with anyio.fail_after(HANG_GUARD):
            async with open_external(
                engine._http,
                f"{cdn.origin}/d1.yml",
                limits=engine.limits,
                stats=engine.stats,
                clock=engine.clock,
                hooks=Hooks(redirect=[seen.append]),
            ) as response:
                assert response.status == 200
                assert [c async for c in response.aiter_bytes(4)] == [b"en:\n", b"  a:", b" b\n"]
                with pytest.raises(InvalidArgumentError, match="chunk_size"):
                    response.aiter_bytes(0)
        assert engine.stats.redirects_followed == 1 and engine.stats.requests == 2
    (event,) = seen
    assert (event.kind, event.status, event.url) == ("redirect", 307, f"{cdn.origin}/d1.yml")
    assert event.detail == {
        "location": f"https://localhost:{cdn.port}/regional/d1.yml?***",
        "hop": 1,
        "external": True,
    }
    assert event.reason == "307 to another https origin"


async def test_a_refused_hop_names_the_reason_without_the_signature(
    cdn: HostileServer, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    cdn.routes["/d1.yml"] = lambda ex: ex.reply(
        302, b"", [("Location", "http://127.0.0.1:9/d1.yml?X-Amz-Signature=s1gn")]
    )
    async with Engine(cache=False, verify=tls[1]) as engine:
        with anyio.fail_after(HANG_GUARD), pytest.raises(UnexpectedRedirect) as caught:
            async with engine.stream_external(f"{cdn.origin}/d1.yml?X-Amz-Signature=s1gn"):
                pass
    error = caught.value
    assert error.status == 302 and error.location == "http://127.0.0.1:9/d1.yml?***"
    assert error.url == f"{cdn.origin}/d1.yml?***"
    assert "s1gn" not in str(error)
