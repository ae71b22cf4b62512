"""Fuzzing: arbitrary statuses, headers and bodies through each adapter.

Hypothesis draws a short sequence of hostile responses (any status, rate-limit/Retry-After/ETag/
Link/Pagination/count headers with odd values, any body). A transport serves them to an adapter
call on a fake clock, so retry and throttle waits cost no real time. Properties: only
`AsyncDamError` subclasses come out, nothing hangs (a real-time bound), and afterwards the same
call against the real emulator, through the same engine and cache, returns the normal answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncdam.emulator import openasset as openasset_emulator
from asyncdam.emulator import phrase as phrase_emulator
from asyncdam.emulator import phraseanet as phraseanet_emulator
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.errors import AsyncDamError
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset
from asyncdam.phrase import Phrase
from asyncdam.phraseanet import Phraseanet

BASE = "http://127.0.0.1"
TOKENS = {"phrase": "fuzz-phrase-token", "phraseanet": "fuzz-pn-token", "openasset": "3:fuzz-oa"}
EXAMPLES = 200
# Real seconds one example may take; fake-clock waits make every legitimate path far faster.
HANG_BOUND = 10.0
TRIED: dict[str, int] = {}


class RecordingClock:
    """Epoch time that only moves when the engine sleeps; nothing really sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


class Switch(httpx.AsyncBaseTransport):
    """Serves the drawn responses in turn (the last one repeats), or the emulator when `real`."""

    def __init__(self, emulator: httpx.AsyncBaseTransport) -> None:
        self.emulator = emulator
        self.real = False
        self.scripted: list[tuple[int, list[tuple[str, str]], bytes]] = []
        self.served = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.real:
            return await self.emulator.handle_async_request(request)
        status, headers, body = self.scripted[min(self.served, len(self.scripted) - 1)]
        self.served += 1
        # A stream, not content=, so decoding (Content-Encoding) happens in the engine, as it would
        # with a real socket.
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
NUMBERS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["", "0", "-1", "1e400", "nan", "inf", "0x10", "  5  ", "99999999999999999999"]
    ),
)
HEADER_VALUES: dict[str, st.SearchStrategy[str]] = {
    "X-Rate-Limit-Limit": NUMBERS,
    "X-Rate-Limit-Remaining": NUMBERS,
    "X-Rate-Limit-Reset": st.one_of(NUMBERS, st.just("1700000005")),
    "Retry-After": st.one_of(
        NUMBERS, st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"])
    ),
    "ETag": st.one_of(ASCII, st.sampled_from(['"abc"', 'W/"abc"', "*", '"'])),
    "Last-Modified": st.one_of(ASCII, st.just("Wed, 21 Oct 2015 07:28:00 GMT")),
    "Link": st.one_of(
        ASCII,
        st.sampled_from(
            [
                '<http://127.0.0.1/v2/projects?page=2>; rel="next"',
                '<http://evil.example/steal?page=2>; rel="next"',
                '<?page=-1>; rel="next", <>; rel="last"',
                "<<>>; rel=next",
            ]
        ),
    ),
    "Pagination": st.one_of(
        ASCII,
        st.builds(
            lambda a, b, c: json.dumps({"total_count": a, "current_page": b, "total_pages": c}),
            st.integers(-5, 10**9),
            st.integers(-5, 10**9),
            st.integers(-5, 10**9),
        ),
    ),
    "X-Full-Results-Count": NUMBERS,
    "X-Total-Count": NUMBERS,
    "X-OpenAsset-Version": st.one_of(ASCII, st.sampled_from(["11.2.0", "0", "99.99.99"])),
    "Content-Type": st.sampled_from(
        ["application/json", "text/html", "application/json; charset=latin-1", "", "x/y"]
    ),
    "Content-Encoding": st.sampled_from(["gzip", "br", "identity", "deflate"]),
}
HEADERS = st.lists(
    st.sampled_from(sorted(HEADER_VALUES)).flatmap(
        lambda name: HEADER_VALUES[name].map(lambda value: (name, value))
    ),
    max_size=6,
)
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=10),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                ["id", "meta", "response", "record", "results", "total", "name", "error"]
            ),
            children,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
BODIES = st.one_of(
    st.binary(max_size=120),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            b"",
            b"[]",
            b"{}",
            b"null",
            b"<html><body>502 Bad Gateway</body></html>",
            b'{"meta": {"http_code": 200}, "response": {}}',
            b'{"meta": {"http_code": 500}, "response": null}',
            b'{"error_message": "x"}',
            b'{"message": "boom", "errors": [{"field": 1}]}',
            b"\xff\xfe\x00",
        ]
    ),
)
STATUSES = st.one_of(
    st.sampled_from([200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 409, 422, 429, 500, 503]),
    st.integers(100, 599),
)
RESPONSES = st.lists(st.tuples(STATUSES, HEADERS, BODIES), min_size=1, max_size=3)

Call = Callable[[Any], Awaitable[Any]]


async def _phrase_calls(transport: Switch) -> tuple[Call, Call, Callable[[Engine], Any]]:
    def make(engine: Engine) -> Phrase:
        return Phrase(token=TOKENS["phrase"], base_url=f"{BASE}/v2", engine=engine)

    transport.real = True
    async with Engine(transport=transport) as engine:
        projects = [p async for p in make(engine).projects.list()]
    project = projects[0].id or ""

    async def one(client: Phrase) -> Any:
        return (await client.projects.show(project)).id

    async def page(client: Phrase) -> Any:
        return [k.id for k in (await client.keys.list(project, per_page=5).first_page()).items]

    return one, page, make


async def _phraseanet_calls(transport: Switch) -> tuple[Call, Call, Callable[[Engine], Any]]:
    def make(engine: Engine) -> Phraseanet:
        return Phraseanet(BASE, token=TOKENS["phraseanet"], engine=engine)

    transport.real = True
    async with Engine(transport=transport) as engine:
        first = (await make(engine).records.search(per_page=1).first_page()).items[0]

    async def one(client: Phraseanet) -> Any:
        return (await client.records.get(first.databox_id, first.record_id)).record_id

    async def page(client: Phraseanet) -> Any:
        return [r.record_id for r in (await client.records.search(per_page=5).first_page()).items]

    return one, page, make


async def _openasset_calls(transport: Switch) -> tuple[Call, Call, Callable[[Engine], Any]]:
    token_id, secret = TOKENS["openasset"].split(":")

    def make(engine: Engine) -> OpenAsset:
        return OpenAsset(BASE, token=(token_id, secret), engine=engine)

    async def one(client: OpenAsset) -> Any:
        return (await client.files.get(1)).id

    async def page(client: OpenAsset) -> Any:
        return [f.id for f in (await client.files.list(page_size=5).first_page()).items]

    return one, page, make


SERVICES: dict[str, tuple[Any, Any]] = {
    "phrase": (phrase_emulator, _phrase_calls),
    "phraseanet": (phraseanet_emulator, _phraseanet_calls),
    "openasset": (openasset_emulator, _openasset_calls),
}


@pytest.mark.slow
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_fuzzed_responses_give_typed_errors_and_leave_the_cache_sound(service: str) -> None:
    module, setup = SERVICES[service]
    app = module.create_app(EmulatorConfig(seed=1, size=0.05, token=TOKENS[service], quota=10**9))
    transport = Switch(emulator_transport(app))
    one, page, make = anyio.run(setup, transport)

    async def baseline() -> tuple[Any, Any]:
        transport.real = True
        async with Engine(transport=transport) as engine:
            async with make(engine) as client:
                return await one(client), await page(client)

    expected = anyio.run(baseline)
    TRIED[service] = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(responses=RESPONSES, which=st.sampled_from(["one", "page"]))
    def check(responses: list[tuple[int, list[tuple[str, str]], bytes]], which: str) -> None:
        TRIED[service] += 1

        async def run() -> None:
            clock = RecordingClock()
            async with Engine(transport=transport, clock=clock) as engine:
                async with make(engine) as client:
                    call = one if which == "one" else page
                    # Prime the cache with a real answer, so a fuzzed 304 or ETag meets an entry.
                    transport.real = True
                    await call(client)
                    transport.real, transport.scripted, transport.served = False, responses, 0
                    with anyio.fail_after(HANG_BOUND):
                        try:
                            await call(client)
                        except AsyncDamError:
                            pass
                    assert transport.served >= 1
                    transport.real = True
                    with anyio.fail_after(HANG_BOUND):
                        again = await call(client)
            assert again == expected[0 if which == "one" else 1]

        anyio.run(run)

    check()
    assert TRIED[service] >= EXAMPLES // 2
    print(f"\n[fuzz {service}] examples={TRIED[service]}")


async def test_undecodable_content_encoding_is_a_typed_error() -> None:
    """Regression: httpx.DecodingError (not an httpx.TransportError) used to escape the engine."""
    from asyncdam.engine.errors import TransportError
    from asyncdam.engine.retry import RetryPolicy

    def handler(request: httpx.Request) -> httpx.Response:
        status = 500 if "stream" in request.url.path else 200
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(b"not gzip"))

    engine = Engine(transport=httpx.MockTransport(handler), retry=RetryPolicy(max_attempts=2))
    async with engine:
        phrase = Phrase(token="t0ken", base_url="https://api.phrase.com/v2", engine=engine)
        with pytest.raises(TransportError):
            await phrase.projects.show("p1")
        assert engine.stats.retries == 1
        from asyncdam.engine.errors import ServerError
        from asyncdam.engine.request import Request

        client = engine.bind(phrase.dialect)
        with pytest.raises(ServerError):
            async with client.stream(Request(method="GET", path="/stream")):
                pass
