"""OpenAsset file downloads within the engine's limits: a bomb from foreign storage stops at
`max_download_bytes`, an in-memory `download()` at `max_response_bytes`."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from asyncdam.engine.errors import ResponseTooLarge
from asyncdam.openasset import OpenAsset

HOST = "https://acme.openasset.com"
API = HOST + "/REST/1"
TOKEN = ("12", "VerySecretTokenString_abcdefghijklmnopqrstuv")
HEADERS = {"Content-Type": "application/json"}
MiB = 1024 * 1024


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        sizes = [
            {
                "id": "2",
                "http_root": "//downloads.openasset.com/acme",
                "http_relative_path": "/x.jpg",
            }
        ]
        router.get(API + "/Files/3/Sizes").mock(
            return_value=httpx.Response(
                200, json=sizes, headers={**HEADERS, "X-Full-Results-Count": "1"}
            )
        )
        yield router


def gzip_bomb(megabytes: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    return b"".join(comp.compress(zeros) for _ in range(megabytes)) + comp.flush()


async def test_a_bomb_from_foreign_storage_stops_at_max_download_bytes(
    mock: Any, tmp_path: Path
) -> None:
    body = gzip_bomb(64)  # ~64 KiB on the wire, 64 MiB inflated

    def storage(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    mock.route(host="downloads.openasset.com").mock(side_effect=storage)
    async with OpenAsset(HOST, token=TOKEN, max_download_bytes=8 * MiB) as oa:
        with pytest.raises(ResponseTooLarge) as caught:
            await oa.files.download_to(3, tmp_path / "x.jpg", 2)
    assert caught.value.setting == "max_download_bytes"
    assert not (tmp_path / "x.jpg").exists()


async def test_an_in_memory_download_stops_at_max_response_bytes(mock: Any) -> None:
    def storage(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(b"x" * (2 * MiB)))

    mock.route(host="downloads.openasset.com").mock(side_effect=storage)
    async with OpenAsset(HOST, token=TOKEN, max_response_bytes=MiB) as oa:
        with pytest.raises(ResponseTooLarge, match="download_to"):
            await oa.files.download(3, 2)
