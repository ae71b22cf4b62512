"""Injection: hostile ids and parameters reach the intended route only; CR/LF headers are refused.

Every request any adapter sends is recorded by a MockTransport, and its raw (still encoded) path
is compared with the route the call is meant for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import pytest

from asyncdam.engine.errors import AsyncDamError, InvalidRequestError
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset
from asyncdam.phrase import Phrase
from asyncdam.phraseanet import Phraseanet

HOSTILE = [
    "../admin",
    "../../etc/passwd",
    "a%2Fb",
    "%2e%2e",
    "a?x=1",
    "a#frag",
    "a\r\nX-Evil: 1",
    "a\nb",
    "a\x00b",
    "ünï/cödé",
    "日本語",
    "a b;c=d&e",
    "²",
    "/absolute",
    "http://evil.example/",
]
DOT_SEGMENTS = ["..", "."]
HEADER_BREAKERS = ["a\r\nX-Evil: 1", "a\nX-Evil: 1", "a\rb", "a\x00b"]


class Recorder:
    """A transport that answers 200 with an empty JSON body and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={})

    def paths(self) -> list[bytes]:
        return [r.url.raw_path.split(b"?", 1)[0] for r in self.requests]


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, Engine]]:
    rec = Recorder()
    engine = Engine(transport=httpx.MockTransport(rec), retry=RetryPolicy(max_attempts=1))
    async with engine:
        yield rec, engine


def _segments(raw_path: bytes) -> list[str]:
    return [unquote(s) for s in raw_path.decode("ascii").split("/")]


def _assert_clean(raw: bytes) -> None:
    """No byte of the raw target may be outside printable ASCII, and no '#' or dot segment."""
    assert all(0x21 <= b < 0x7F for b in raw), raw
    assert b"#" not in raw
    assert b"/../" not in raw + b"/" and b"/./" not in raw + b"/"


@pytest.mark.parametrize("evil", HOSTILE)
async def test_phrase_path_ids_stay_in_their_segment(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    phrase = Phrase(token="tok", base_url="https://api.phrase.com/v2", engine=engine)
    await phrase.keys.show(evil, evil)
    (path,) = rec.paths()
    _assert_clean(rec.requests[0].url.raw_path)
    assert _segments(path) == ["", "v2", "projects", evil, "keys", evil]
    assert rec.requests[0].url.host == "api.phrase.com"


@pytest.mark.parametrize("evil", HOSTILE)
async def test_phrase_query_values_stay_values(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    phrase = Phrase(token="tok", base_url="https://api.phrase.com/v2", engine=engine)
    try:
        await phrase.keys.list("p1", q=evil, branch=evil).first_page()
    except AsyncDamError:
        pass
    (request,) = rec.requests
    _assert_clean(request.url.raw_path)
    assert rec.paths() == [b"/v2/projects/p1/keys"]
    assert request.url.params.get("q") == evil
    assert request.url.params.get("branch") == evil


@pytest.mark.parametrize("evil", DOT_SEGMENTS)
async def test_phrase_dot_segments_are_refused_unsent(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    phrase = Phrase(token="tok", base_url="https://api.phrase.com/v2", engine=engine)
    with pytest.raises(InvalidRequestError):
        await phrase.keys.show("p1", evil)
    assert rec.requests == []


@pytest.mark.parametrize("evil", [*HOSTILE, *DOT_SEGMENTS, "-1", "1.5", ""])
async def test_phraseanet_numeric_ids_refuse_anything_else(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    async with Phraseanet("https://pn.example.com", token="tok", engine=engine) as pn:
        with pytest.raises(InvalidRequestError):
            await pn.records.get(evil, 1)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError):
            await pn.records.get(1, evil)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError):
            await pn.stories.get(evil, 1)  # type: ignore[arg-type]
    assert rec.requests == []


@pytest.mark.parametrize("evil", HOSTILE)
async def test_phraseanet_search_query_goes_to_search_only(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    async with Phraseanet("https://pn.example.com", token="tok", engine=engine) as pn:
        try:
            await pn.records.search(evil).first_page()
        except AsyncDamError:
            pass
    assert rec.paths() == [b"/api/v1/search/"]
    request = rec.requests[0]
    _assert_clean(request.url.raw_path)
    body = httpx.QueryParams(request.content.decode("ascii"))
    sent = body.get("query", request.url.params.get("query"))
    assert sent == evil


@pytest.mark.parametrize("evil", [*HOSTILE, *DOT_SEGMENTS, "-1", "1.5", ""])
async def test_openasset_numeric_ids_refuse_anything_else(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    async with OpenAsset("https://oa.example.com", token=("7", "sec"), engine=engine) as oa:
        with pytest.raises(InvalidRequestError):
            await oa.files.get(evil)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError):
            await oa.projects.files.list(evil).first_page()  # type: ignore[arg-type]
    assert rec.requests == []


@pytest.mark.parametrize("evil", HOSTILE)
async def test_openasset_filter_values_stay_values(
    recorder: tuple[Recorder, Engine], evil: str
) -> None:
    rec, engine = recorder
    async with OpenAsset("https://oa.example.com", token=("7", "sec"), engine=engine) as oa:
        try:
            await oa.files.list(filename=evil).first_page()
        except AsyncDamError:
            pass
    paths = rec.paths()
    assert paths and set(paths) == {b"/REST/1/Files"}
    for request in rec.requests:
        _assert_clean(request.url.raw_path)
        assert evil in request.url.params.values()


def _header_clients(value: str, engine: Engine) -> list[object]:
    return [
        lambda: Phrase(token=value, base_url="https://api.phrase.com/v2", engine=engine),
        lambda: Phrase(token="t", otp=value, base_url="https://api.phrase.com/v2", engine=engine),
        lambda: Phrase(
            token="t", user_agent_contact=value, base_url="https://api.phrase.com/v2", engine=engine
        ),
        lambda: Phraseanet("https://pn.example.com", token=value, engine=engine),
        lambda: OpenAsset("https://oa.example.com", token=("7", value), engine=engine),
        lambda: OpenAsset("https://oa.example.com", token=(value, "sec"), engine=engine),
    ]


@pytest.mark.parametrize("value", HEADER_BREAKERS)
@pytest.mark.parametrize("which", range(6))
async def test_header_values_with_control_characters_are_refused(
    recorder: tuple[Recorder, Engine], value: str, which: int
) -> None:
    rec, engine = recorder
    with pytest.raises(AsyncDamError):
        client = _header_clients(value, engine)[which]()  # type: ignore[operator]
        if isinstance(client, Phrase):
            await client.projects.list().first_page()
        elif isinstance(client, Phraseanet):
            async with client as pn:
                await pn.records.get(1, 1)
        else:
            assert isinstance(client, OpenAsset)
            async with client as oa:
                await oa.files.get(1)
    for request in rec.requests:
        for name, header in request.headers.raw:
            assert b"\r" not in header and b"\n" not in header and b"\x00" not in header
            assert name.lower() != b"x-evil"
