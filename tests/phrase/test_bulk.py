"""pull (concurrent, revalidated, unchanged files untouched), push with polling, async downloads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from asyncdam.engine.errors import Gone, InvalidRequestError
from asyncdam.phrase import Backoff, DownloadExpired, DownloadFailed, Phrase

FAST = Backoff(initial=0.001, maximum=0.002, jitter=0.0, timeout=5.0)


def _locales(mock: Any) -> None:
    mock.get("/projects/p1/locales").respond(
        200,
        json=[{"id": "l-en", "name": "en", "code": "en"}, {"id": "l-de", "name": "de/../x"}],
    )


def _conditional(bodies: dict[str, bytes]) -> Any:
    """A download endpoint with ETags: 304 when the client already has the current version."""
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        locale = request.url.path.split("/")[-2]
        etag = f'"{hash(bodies[locale]) & 0xFFFF:x}"'
        seen.append((locale, request.headers.get("if-none-match")))
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, content=bodies[locale], headers={"ETag": etag})

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


async def test_pull_writes_every_locale_then_revalidates(
    phrase: Phrase, mock: Any, tmp_path: Path
) -> None:
    _locales(mock)
    bodies = {"l-en": b"en:\n  hi: Hi\n", "l-de": b"\xff\xfed\x00e\x00"}
    handler = _conditional(bodies)
    mock.get(path__regex=r"/projects/p1/locales/[^/]+/download").mock(side_effect=handler)

    first = await phrase.pull("p1", tmp_path, file_format="yml")
    assert sorted(r.path.name for r in first) == ["de_.._x.yml", "en.yml"]
    assert all(r.changed for r in first)
    assert (tmp_path / "en.yml").read_bytes() == bodies["l-en"]
    assert (tmp_path / "de_.._x.yml").read_bytes() == bodies["l-de"]  # bytes kept as sent

    os.utime(tmp_path / "en.yml", ns=(1_000_000_000, 1_000_000_000))
    bodies["l-de"] = b"de:\n  hi: Hallo\n"
    second = await phrase.pull("p1", tmp_path, file_format="yml")
    changed = {r.locale_id: r.changed for r in second}
    assert changed == {"l-en": False, "l-de": True}
    assert (tmp_path / "en.yml").stat().st_mtime_ns == 1_000_000_000
    assert (tmp_path / "de_.._x.yml").read_bytes() == b"de:\n  hi: Hallo\n"
    revalidated = [inm for loc, inm in handler.seen[2:] if loc == "l-en"]
    assert revalidated and revalidated[0] is not None


async def test_pull_given_locales_and_options(phrase: Phrase, mock: Any, tmp_path: Path) -> None:
    route = mock.get("/projects/p1/locales/fr/download").respond(200, content=b"{}")
    results = await phrase.pull(
        "p1",
        tmp_path / "out",
        file_format="simple_json",
        locales=["fr"],
        branch="feat",
        include_empty_translations=True,
    )
    assert [r.path.name for r in results] == ["fr.json"]
    params = route.calls.last.request.url.params
    assert params["file_format"] == "simple_json"
    assert params["branch"] == "feat"
    assert params["include_empty_translations"] == "true"


async def test_pull_refuses_unknown_format(phrase: Phrase, mock: Any, tmp_path: Path) -> None:
    route = mock.route().respond(200, json=[])
    with pytest.raises(InvalidRequestError):
        await phrase.pull("p1", tmp_path, file_format="docx_magic")
    assert not route.called


async def test_push_uploads_and_polls_until_done(phrase: Phrase, mock: Any, tmp_path: Path) -> None:
    (tmp_path / "en.yml").write_bytes(b"en:\n  a: A\n")
    (tmp_path / "de.yml").write_bytes(b"de:\n  a: B\n")
    ids = iter(["u1", "u2"])
    mock.post("/projects/p1/uploads").mock(
        side_effect=lambda r: httpx.Response(201, json={"id": next(ids), "state": "initialized"})
    )
    states: dict[str, list[str]] = {"u1": ["processing", "success"], "u2": ["error"]}

    def show(request: httpx.Request) -> httpx.Response:
        upload_id = request.url.path.rsplit("/", 1)[1]
        state = states[upload_id].pop(0)
        return httpx.Response(
            200,
            json={"id": upload_id, "state": state, "summary": {"translation_keys_created": "3"}},
        )

    shown = mock.get(path__regex=r"/projects/p1/uploads/u\d").mock(side_effect=show)
    uploads = await phrase.push(
        "p1",
        {tmp_path / "en.yml": "en", tmp_path / "de.yml": "de"},
        file_format="yml",
        backoff=FAST,
    )
    assert {u.id: u.state for u in uploads} == {"u1": "success", "u2": "error"}
    assert uploads[0].summary is not None
    assert uploads[0].summary.translation_keys_created == 3
    assert shown.call_count == 3


async def test_push_without_wait_does_not_poll(phrase: Phrase, mock: Any, tmp_path: Path) -> None:
    (tmp_path / "en.yml").write_bytes(b"en: {}\n")
    mock.post("/projects/p1/uploads").respond(201, json={"id": "u1", "state": "initialized"})
    shown = mock.get(path__regex=r"/uploads/").respond(200, json={})
    uploads = await phrase.push(
        "p1", [tmp_path / "en.yml"], file_format="yml", locale_id="en", wait=False
    )
    assert [u.state for u in uploads] == ["initialized"]
    assert not shown.called


async def test_async_download_flow(phrase: Phrase, mock: Any) -> None:
    base = "/projects/p1/locales/en/downloads"
    created = mock.post(base).respond(201, json={"id": "d1", "status": "processing"})
    polls = iter(
        [
            {"id": "d1", "status": "processing"},
            {
                "id": "d1",
                "status": "completed",
                "result": {"url": "https://api.phrase.com/v2/files/d1"},
            },
        ]
    )
    mock.get(f"{base}/d1").mock(side_effect=lambda r: httpx.Response(200, json=next(polls)))
    fetched = mock.get("/files/d1").respond(200, content=b"\x00\x01binary")
    body = await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)
    assert body == b"\x00\x01binary"
    assert created.calls.last.request.headers["content-type"] == "application/json"
    assert fetched.calls.last.request.headers["Authorization"].startswith("token ")


async def test_async_download_gone_is_typed(phrase: Phrase, mock: Any) -> None:
    base = "/projects/p1/locales/en/downloads"
    mock.post(base).respond(201, json={"id": "d1", "status": "processing"})
    mock.get(f"{base}/d1").respond(410)
    with pytest.raises(DownloadExpired) as info:
        await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)
    assert isinstance(info.value, Gone) and info.value.status == 410
    assert "expired" in str(info.value)


async def test_async_download_error_state(phrase: Phrase, mock: Any) -> None:
    base = "/projects/p1/locales/en/downloads"
    mock.post(base).respond(201, json={"id": "d1", "status": "error", "error": "boom"})
    with pytest.raises(DownloadFailed, match="boom"):
        await phrase.download_locale_async("p1", "en", file_format="yml", backoff=FAST)


async def test_download_helpers_stream_and_file(phrase: Phrase, mock: Any, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 100
    mock.get("/projects/p1/locales/en/download").respond(200, content=payload)
    async with phrase.locales.download_stream("p1", "en", file_format="xlsx") as response:
        assert response.status == 200
        streamed = b"".join([c async for c in response.aiter_bytes()])
    assert streamed == payload
    path = await phrase.locales.download_to(
        "p1", "en", tmp_path / "sub" / "en.xlsx", file_format="xlsx"
    )
    assert path.read_bytes() == payload
    assert [p.name for p in path.parent.iterdir()] == ["en.xlsx"]


async def test_pull_persistent_cache_spans_runs(mock: Any, tmp_path: Path) -> None:
    bodies = {"l-en": b"en:\n  hi: Hi\n"}
    handler = _conditional(bodies)
    mock.get("/projects/p1/locales/l-en/download").mock(side_effect=handler)
    db = tmp_path / "sync.db"
    out = tmp_path / "out"
    for _ in range(2):  # two separate runs of a sync job, each with a fresh client
        async with Phrase(token="tok_run") as phrase:
            results = await phrase.pull("p1", out, locales=["l-en"], cache=db)
    assert [r.changed for r in results] == [False]
    assert [inm is not None for _, inm in handler.seen] == [False, True]
    assert (out / "l-en.yml").read_bytes() == bodies["l-en"]


class _TickClock:
    """A fake clock: sleeping moves time forward at once and records the delay."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


async def test_upload_polling_backs_off_then_times_out(mock: Any, tmp_path: Path) -> None:
    from asyncdam.engine.errors import TimeoutError as AsyncDamTimeout
    from asyncdam.engine.session import Engine

    (tmp_path / "en.yml").write_bytes(b"en: {}\n")
    mock.post("/projects/p1/uploads").respond(201, json={"id": "u1", "state": "initialized"})
    mock.get("/projects/p1/uploads/u1").respond(200, json={"id": "u1", "state": "processing"})
    clock = _TickClock()
    async with Engine(clock=clock) as engine:
        phrase = Phrase(token="tok", engine=engine)
        with pytest.raises(AsyncDamTimeout):
            await phrase.push(
                "p1",
                [tmp_path / "en.yml"],
                file_format="yml",
                locale_id="en",
                backoff=Backoff(jitter=0.0, timeout=60.0),
            )
    assert clock.sleeps[:6] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert set(clock.sleeps[5:]) == {10.0}
    assert 60.0 <= sum(clock.sleeps) <= 70.0


async def test_download_bytes_revalidates(phrase: Phrase, mock: Any) -> None:
    handler = _conditional({"l-en": b"\xef\xbb\xbfen: {}\n"})
    mock.get("/projects/p1/locales/l-en/download").mock(side_effect=handler)
    first = await phrase.locales.download("p1", "l-en", file_format="yml")
    second = await phrase.locales.download("p1", "l-en", file_format="yml")
    assert first == second == b"\xef\xbb\xbfen: {}\n"
    assert [inm is not None for _, inm in handler.seen] == [False, True]
