"""The adapters against the emulators' quirk profiles: the same items, the same values.

With quirks on (PHP `[]`, numeric and "0"/"1" strings, id-keyed lists, comma lists, missing
optional fields, undocumented fields, unknown enum values) a listing yields the same items in
the same order as without, none invalid, and every typed value equal to the plain reading (or
absent, where the quirk dropped the field).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from asyncdam.emulator.config import EmulatorConfig, QuirkConfig
from asyncdam.emulator.pytest_plugin import in_process_emulator
from asyncdam.emulator.quirks import UNKNOWN_ENUM
from asyncdam.engine.session import Engine

pytest.importorskip("starlette")

OA_TOKEN = ("7", "s3cr3t-Token_value-abcdefghijklmnopqrstuvwxyz0")


def _same(plain: Any, quirky: Any, path: str) -> None:
    """`quirky` reads as `plain`, except where a quirk removed a value (None / empty)."""
    if quirky is None or quirky == [] or quirky == {}:
        return
    if quirky == UNKNOWN_ENUM:
        return  # an enum value the client does not know is kept as the string it is
    if attrs.has(type(plain)) and type(quirky) is type(plain):
        for f in attrs.fields(type(plain)):
            if f.name in ("extra", "problems") or "Any" in str(f.type) or "url" in f.name:
                continue  # bookkeeping, free-form values, and URLs signed with the time of issue
            default = f.default.factory() if isinstance(f.default, attrs.Factory) else f.default
            if getattr(quirky, f.name) == default:
                continue  # a field the quirk left out reads as its default
            _same(getattr(plain, f.name), getattr(quirky, f.name), f"{path}.{f.name}")
        return
    if isinstance(plain, list) and isinstance(quirky, list) and len(plain) == len(quirky):
        for i, (p, q) in enumerate(zip(plain, quirky, strict=True)):
            _same(p, q, f"{path}[{i}]")
        return
    if attrs.has(type(plain)) and plain == type(plain)():
        return  # an empty object the quirk sent as PHP `[]`, read as absent
    assert quirky == plain, f"{path}: {quirky!r} != {plain!r}"


async def _collect(
    service: str, quirks: bool, run: Callable[[Any], AsyncIterator[Any]], rate: float = 0.5
) -> tuple[list[Any], int]:
    token = ":".join(OA_TOKEN) if service == "openasset" else "test-token"
    config = EmulatorConfig(
        seed=11, size=0.2, token=token, quirks=QuirkConfig(enabled=quirks, rate=rate)
    )
    handle = in_process_emulator(service, config)
    async with Engine(transport=handle.transport) as engine:
        if service == "phrase":
            from asyncdam.phrase import Phrase

            client: Any = Phrase(token=token, base_url=handle.base_url, engine=engine)
        elif service == "phraseanet":
            from asyncdam.phraseanet import Phraseanet

            client = Phraseanet(handle.base_url, token=token, engine=engine)
        else:
            from asyncdam.openasset import OpenAsset

            client = OpenAsset(handle.base_url, token=OA_TOKEN, engine=engine)
        items = [item async for item in run(client)]
        return items, engine.stats.invalid_items


async def _phrase_keys(phrase: Any) -> AsyncIterator[Any]:
    async for project in phrase.projects.list():
        yield project
        async for key in phrase.keys.list(project.id):
            yield key
        async for locale in phrase.locales.list(project.id):
            yield locale


async def _phraseanet_records(pn: Any) -> AsyncIterator[Any]:
    async for record in pn.records.search(extended=True):
        yield record
    async for record in pn.records.search_v3():
        yield record
    async for entry in pn.feeds.entries():
        yield entry


async def _openasset_items(oa: Any) -> AsyncIterator[Any]:
    async for item in oa.files.list():
        yield item
    async for item in oa.projects.list():
        yield item
    async for item in oa.albums.list():
        yield item


@pytest.mark.parametrize("rate", [0.5, 1.0])
@pytest.mark.parametrize(
    ("service", "run"),
    [
        ("phrase", _phrase_keys),
        ("phraseanet", _phraseanet_records),
        ("openasset", _openasset_items),
    ],
)
async def test_quirks_read_as_the_plain_data(
    service: str, run: Callable[[Any], AsyncIterator[Any]], rate: float
) -> None:
    plain, plain_invalid = await _collect(service, False, run)
    quirky, quirky_invalid = await _collect(service, True, run, rate)
    assert len(plain) > 20
    assert plain_invalid == quirky_invalid == 0
    assert [type(i) for i in quirky] == [type(i) for i in plain]
    for index, (p, q) in enumerate(zip(plain, quirky, strict=True)):
        _same(p, q, f"{type(p).__name__}#{index}")
    assert any(item.extra for item in quirky)  # the quirks really happened (undocumented fields)
