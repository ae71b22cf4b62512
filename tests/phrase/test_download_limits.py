"""Async locale downloads within the engine's limits: signed links fetched without credentials,
https-only redirects, memory-bounded `download_locale_async`, disk-bounded `save_locale_async`."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from asyncdam.engine.errors import InvalidRequestError, ResponseTooLarge, UnexpectedRedirect
from asyncdam.engine.session import Engine
from asyncdam.phrase import Backoff, DownloadExpired, Phrase

FAST = Backoff(initial=0.001, maximum=0.002, jitter=0.0, timeout=5.0)
BASE = "https://api.phrase.com/v2/projects/p1/locales/en/downloads"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    """One router for the API and the CDN hosts alike (absolute URLs everywhere)."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def phrase(mock: respx.MockRouter) -> AsyncIterator[Phrase]:
    async with Phrase(token="t0ken-secret") as client:
        yield client


def completed(mock: Any, url: str) -> None:
    mock.post(BASE).respond(201, json={"id": "d1", "status": "processing"})
    mock.get(f"{BASE}/d1").respond(
        200, json={"id": "d1", "status": "completed", "result": {"url": url}}
    )


async def test_a_signed_link_is_fetched_without_credentials(phrase: Phrase, mock: Any) -> None:
    completed(mock, "https://cdn.example.net/exports/d1?signature=abc")
    cdn = mock.get("https://cdn.example.net/exports/d1").respond(200, content=b"en:\n  a: b\n")
    body = await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)
    assert body == b"en:\n  a: b\n"
    assert "authorization" not in cdn.calls.last.request.headers


async def test_a_signed_link_follows_https_redirects_only(phrase: Phrase, mock: Any) -> None:
    completed(mock, "https://cdn.example.net/a")
    mock.get("https://cdn.example.net/a").respond(302, headers={"Location": "https://s3.example/b"})
    mock.get("https://s3.example/b").respond(302, headers={"Location": "http://s3.example/c"})
    with pytest.raises(UnexpectedRedirect, match="downgrade https to http"):
        await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)
    assert phrase.engine.stats.redirects_followed == 1


async def test_a_redirect_loop_on_a_signed_link_ends(phrase: Phrase, mock: Any) -> None:
    completed(mock, "https://cdn.example.net/loop")
    mock.get("https://cdn.example.net/loop").respond(302, headers={"Location": "/loop"})
    with pytest.raises(UnexpectedRedirect):
        await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)


async def test_an_expired_signed_link_is_typed(phrase: Phrase, mock: Any) -> None:
    completed(mock, "https://cdn.example.net/old")
    mock.get("https://cdn.example.net/old").respond(410)
    with pytest.raises(DownloadExpired):
        await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)


async def test_a_plain_http_link_is_refused(phrase: Phrase, mock: Any) -> None:
    completed(mock, "http://cdn.example.net/x")
    with pytest.raises(InvalidRequestError):
        await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)


@pytest.mark.parametrize("same_origin", [True, False])
async def test_in_memory_and_on_disk_downloads_have_their_own_limits(
    mock: Any, tmp_path: Path, same_origin: bool
) -> None:
    url = "https://api.phrase.com/v2/files/d1" if same_origin else "https://cdn.example.net/d1"
    payload = b"x" * 300_000
    completed(mock, url)
    mock.get(url).respond(200, content=payload, headers={"Content-Length": str(len(payload))})
    engine = Engine(max_response_bytes=100_000, max_download_bytes=1_000_000)
    async with engine, Phrase(token="t0ken", engine=engine) as phrase:
        with pytest.raises(ResponseTooLarge) as caught:
            await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)
        assert caught.value.setting == "max_response_bytes"
        target = tmp_path / "en.yml"
        written = await phrase.save_locale_async(
            "p1", "en", target, file_format="yml", backoff=FAST
        )
        assert written == len(payload) and target.read_bytes() == payload
        buffer = io.BytesIO()
        await phrase.save_locale_async("p1", "en", buffer, file_format="yml", backoff=FAST)
        assert buffer.getvalue() == payload
    small = Engine(max_download_bytes=200_000)
    async with small, Phrase(token="t0ken", engine=small) as phrase:
        with pytest.raises(ResponseTooLarge) as caught:
            await phrase.save_locale_async(
                "p1", "en", tmp_path / "b", file_format="yml", backoff=FAST
            )
        assert caught.value.setting == "max_download_bytes"


def test_httpx_is_not_asked_to_follow_redirects() -> None:
    engine = Engine()
    assert engine._http.follow_redirects is False
    assert engine._http.headers["accept-encoding"] == "gzip, deflate"
    assert isinstance(engine._http, httpx.AsyncClient)
