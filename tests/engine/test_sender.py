"""The engine's lean exchange (`asyncdam.engine.sender`): the transport httpx would pick, the
client's timeout, auth flows driven as httpx drives them, no cookie jar, and the fallback to
`client.send` when httpx moves the internals it reads."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Iterator
from typing import Any

import httpx
import pytest

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import ConfigurationError, TransportError
from asyncdam.engine.request import Request
from asyncdam.engine.sender import Sender, transport_route
from asyncdam.engine.session import Engine

BASE = "https://api.example.test/v1/"
pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Recorder:
    """A MockTransport handler that records every request and answers from a script."""

    def __init__(self, answer: Any = None) -> None:
        self.seen: list[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self._answer is not None:
            answer: httpx.Response = self._answer(request, len(self.seen))
            return answer
        return httpx.Response(200, json={"n": len(self.seen)})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def dialect(auth: httpx.Auth | None = None) -> BaseDialect:
    return BaseDialect(name="t", base_url=check_base_url(BASE), auth=auth)


async def get(engine: Engine, auth: httpx.Auth | None = None, **kw: Any) -> Any:
    return await engine.bind(dialect(auth)).send(Request(method="GET", path="/x", **kw))


# -- auth flows ----------------------------------------------------------------------------------


class HeaderAuth(httpx.Auth):
    """One step: a header, then the flow ends (like PhraseAuth and OAuthTokenAuth)."""

    def __init__(self) -> None:
        self.closed = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "token abc"
        try:
            yield request
        finally:
            self.closed += 1


class ChallengeAuth(httpx.Auth):
    """Two steps, like Digest: send bare, and on a 401 read its body and answer the challenge."""

    requires_response_body = True

    def __init__(self) -> None:
        self.challenges: list[str] = []

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code == 401:
            self.challenges.append(response.text)  # needs the body: requires_response_body
            request.headers["Authorization"] = "answer " + response.text
            yield request


class SigningAuth(httpx.Auth):
    """Needs the request body before the first send (requires_request_body)."""

    requires_request_body = True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Signature"] = str(len(request.content))
        yield request


class TokenFetchAuth(httpx.Auth):
    """An async flow fetching a token from another URL first (like PasswordGrantAuth)."""

    def __init__(self) -> None:
        self.token: str | None = None

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self.token is None:
            reply = yield httpx.Request("POST", "https://auth.example.test/token")
            await reply.aread()
            self.token = reply.json()["token"]
        request.headers["Authorization"] = "OAuth " + self.token
        yield request


async def test_a_one_step_auth_sets_its_header_and_its_flow_is_closed() -> None:
    recorder = Recorder()
    auth = HeaderAuth()
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        await get(engine, auth)
        await get(engine, auth)
    assert [r.headers["authorization"] for r in recorder.seen] == ["token abc", "token abc"]
    assert auth.closed == 2


async def test_an_unauthenticated_request_carries_no_auth() -> None:
    recorder = Recorder()
    auth = HeaderAuth()
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        await engine.bind(dialect(auth)).send(Request(method="GET", path="/x", authenticated=False))
    assert "authorization" not in recorder.seen[0].headers
    assert auth.closed == 0


async def test_a_two_step_auth_reads_the_challenge_and_answers_it() -> None:
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(401, text="nonce-1")
        return httpx.Response(200, json={"ok": request.headers["authorization"]})

    recorder = Recorder(answer)
    auth = ChallengeAuth()
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        response = await get(engine, auth)
    assert response.json() == {"ok": "answer nonce-1"}
    assert auth.challenges == ["nonce-1"]
    assert len(recorder.seen) == 2


async def test_an_auth_needing_the_request_body_gets_it() -> None:
    recorder = Recorder()
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        await engine.bind(dialect(SigningAuth())).send(
            Request(method="POST", path="/x", content=b"12345")
        )
    assert recorder.seen[0].headers["x-signature"] == "5"


async def test_an_async_flow_fetches_its_token_once_through_the_same_transport() -> None:
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        if request.url.host == "auth.example.test":
            return httpx.Response(200, json={"token": "t0k"})
        return httpx.Response(200, json={"auth": request.headers["authorization"]})

    recorder = Recorder(answer)
    auth = TokenFetchAuth()
    async with Engine(transport=recorder.transport(), cache=False, timeout=9.0) as engine:
        first = await get(engine, auth)
        second = await get(engine, auth)
    assert first.json() == second.json() == {"auth": "OAuth t0k"}
    hosts = [r.url.host for r in recorder.seen]
    assert hosts == ["auth.example.test", "api.example.test", "api.example.test"]
    # The token request the flow made itself is timed by the client's timeout too.
    assert recorder.seen[0].extensions["timeout"]["read"] == 9.0


async def test_an_error_inside_an_async_flow_reaches_the_caller() -> None:
    class Refusing(httpx.Auth):
        async def async_auth_flow(
            self, request: httpx.Request
        ) -> AsyncGenerator[httpx.Request, httpx.Response]:
            response = yield request
            if response.status_code == 401:
                raise ConfigurationError("refused")

    recorder = Recorder(lambda request, n: httpx.Response(401))
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        with pytest.raises(ConfigurationError, match="refused"):
            await get(engine, Refusing())


async def test_userinfo_in_the_url_becomes_basic_auth_as_in_httpx() -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=recorder.transport()) as client:
        response = await Sender(client).send(
            httpx.Request("GET", "https://us%40r:p%3Ass@h.example.test/"), None
        )
    assert response.status_code == 200
    expected = httpx.Request("GET", "https://h.example.test/")
    next(httpx.BasicAuth("us@r", "p:ss").sync_auth_flow(expected))
    assert recorder.seen[0].headers["authorization"] == expected.headers["authorization"]


# -- what the client used to add ----------------------------------------------------------------


async def test_the_engine_timeout_is_applied_and_a_request_timeout_wins() -> None:
    recorder = Recorder()
    timeout = httpx.Timeout(5.0, connect=2.0)
    async with Engine(transport=recorder.transport(), cache=False, timeout=timeout) as engine:
        await get(engine)
        await get(engine, timeout=3.0)
    assert recorder.seen[0].extensions["timeout"] == timeout.as_dict()
    assert recorder.seen[1].extensions["timeout"] == httpx.Timeout(3.0).as_dict()


async def test_no_timeout_means_none_for_every_phase() -> None:
    recorder = Recorder()
    async with Engine(transport=recorder.transport(), cache=False, timeout=None) as engine:
        await get(engine)
    assert recorder.seen[0].extensions["timeout"] == httpx.Timeout(None).as_dict()


async def test_cookies_are_never_kept_nor_sent_back() -> None:
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Set-Cookie": f"sid=s{n}; Path=/; Secure"},
            json={"cookie": request.headers.get("cookie")},
        )

    recorder = Recorder(answer)
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        replies = [(await get(engine)).json() for _ in range(3)]
        assert len(engine._http.cookies.jar) == 0
    assert replies == [{"cookie": None}] * 3


async def test_the_response_knows_its_request() -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=recorder.transport()) as client:
        request = httpx.Request("GET", "https://h.example.test/a")
        response = await Sender(client).send(request, None)
        await response.aread()
    assert response.request is request


async def test_a_transport_failure_carries_its_request_and_maps_to_a_typed_error() -> None:
    seen: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        request = httpx.Request("GET", "https://h.example.test/a")
        with pytest.raises(httpx.ConnectError) as caught:
            await Sender(client).send(request, None)
        seen.append(caught.value.request)
    assert seen == [request]
    async with Engine(transport=httpx.MockTransport(refuse), cache=False) as engine:
        with pytest.raises(TransportError):
            await get(engine)


async def test_a_closed_engine_refuses_to_stream() -> None:
    engine = Engine(transport=Recorder().transport(), cache=False)
    await engine.aclose()
    assert engine.closed
    with pytest.raises(ConfigurationError, match="closed"):
        async with engine.stream(dialect(), Request(method="GET", path="/x")):
            pass  # pragma: no cover
    with pytest.raises(ConfigurationError, match="closed"):
        engine.stream_external("https://cdn.example.test/file")


# -- choosing the transport: the one place that reads httpx internals ---------------------------

_PROXY_ENV = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in _PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    yield monkeypatch


_URLS = [
    "https://api.example.test/v1/x",
    "http://127.0.0.1:8400/a",
    "https://internal.corp.test/b",
    "http://plain.example.test/",
]


def _httpx_choice(client: httpx.AsyncClient, url: str) -> Any:
    return client._transport_for_url(httpx.URL(url))


def _sender_choice(sender: Sender, url: str) -> Any:
    if sender._fixed is not None:
        return sender._fixed
    assert sender._pick is not None
    return sender._pick(httpx.URL(url))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"proxy": "http://proxy.example.test:3128"},
        {"transport": httpx.MockTransport(lambda r: httpx.Response(204))},
        {"trust_env": True},
    ],
    ids=["plain", "proxy", "transport", "trust_env-without-proxies"],
)
async def test_the_sender_picks_the_transport_httpx_would(
    options: dict[str, Any], clean_env: pytest.MonkeyPatch
) -> None:
    # Fails when httpx moves `_transport`, `_mounts` or `_transport_for_url`: then the engine
    # still works (through client.send) but has lost its lean path; see sender.transport_route.
    async with Engine(cache=False, **options) as engine:
        sender = engine._sender
        assert sender.lean
        for url in _URLS:
            assert _sender_choice(sender, url) is _httpx_choice(engine._http, url)


async def test_environment_proxies_and_no_proxy_are_honoured_per_url(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    clean_env.setenv("NO_PROXY", "internal.corp.test")
    async with Engine(cache=False, trust_env=True) as engine:
        sender = engine._sender
        assert sender.lean and sender._fixed is None  # mounts apply: chosen per URL
        default = engine._http._transport
        assert _sender_choice(sender, "https://internal.corp.test/b") is default
        assert _sender_choice(sender, "https://api.example.test/v1/x") is not default
        for url in _URLS:
            assert _sender_choice(sender, url) is _httpx_choice(engine._http, url)


async def test_without_the_expected_internals_requests_go_through_client_send() -> None:
    recorder = Recorder()
    client = httpx.AsyncClient(transport=recorder.transport(), timeout=4.0)
    mounts = client._mounts
    del client._mounts  # as if a future httpx kept its mounts elsewhere
    assert transport_route(client) is None
    sender = Sender(client)
    client._mounts = mounts
    assert not sender.lean
    auth = HeaderAuth()
    response = await sender.send(httpx.Request("GET", "https://h.example.test/"), auth)
    await response.aclose()
    assert recorder.seen[0].headers["authorization"] == "token abc"
    assert recorder.seen[0].extensions["timeout"]["read"] == 4.0
    await client.aclose()


async def test_the_pooled_client_keeps_no_cookie_even_through_client_send() -> None:
    # stream_external and the fallback path still go through client.send: its jar refuses all.
    def answer(request: httpx.Request, n: int) -> httpx.Response:
        return httpx.Response(200, headers={"Set-Cookie": "sid=abc; Path=/"})

    recorder = Recorder(answer)
    async with Engine(transport=recorder.transport(), cache=False) as engine:
        client = engine._http
        for _ in range(2):
            await client.send(client.build_request("GET", "https://cdn.example.test/f"))
        assert len(client.cookies.jar) == 0
    assert "cookie" not in recorder.seen[1].headers


async def test_the_cache_key_names_the_accept_actually_sent() -> None:
    from asyncdam.engine.cache import cache_key
    from asyncdam.engine.cache_storage import MemoryCache

    def answer(request: httpx.Request, n: int) -> httpx.Response:
        return httpx.Response(200, headers={"ETag": f'"e{n}"'}, json={})

    recorder = Recorder(answer)
    storage = MemoryCache()
    json_dialect = BaseDialect(
        name="t",
        base_url=check_base_url(BASE),
        default_headers={"Accept": "application/json"},
        credential_id="c",
    )
    async with Engine(transport=recorder.transport(), cache=storage) as engine:
        client = engine.bind(json_dialect)
        await client.send(Request(method="GET", path="/x"))
        await client.send(Request(method="GET", path="/x", headers={"accept": "text/csv"}))
        await client.send(Request(method="GET", path="/x"))
        url = BASE + "x"
        assert cache_key("c", "GET", url, "application/json") in storage
        assert cache_key("c", "GET", url, "text/csv") in storage
    assert [r.headers.get("if-none-match") for r in recorder.seen] == [None, None, '"e1"']
