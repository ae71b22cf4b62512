"""Decoding the emulators' data gives objects EQUAL to what the old per-service converters gave.

The three converters as they were before the shared layer (`legacy_*.py`, verbatim copies kept
as oracles) decode the very payloads the clients decoded in this run; both results must match
field for field, `extra` included. A spy on `Decoder` records each payload and its result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from asyncdam.decoding import Decoder
from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.pytest_plugin import in_process_emulator
from asyncdam.engine.session import Engine

from . import legacy_openasset, legacy_phrase, legacy_phraseanet

pytest.importorskip("starlette")

Seen = list[tuple[Any, type[Any], Any]]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """(raw payload, class, decoded model) for every model the clients decode."""
    records: Seen = []
    items, structure, item = Decoder.items, Decoder.structure, Decoder.item

    def spy_items(self: Decoder, values: Any, cls: type[Any], **kw: Any) -> Any:
        out = items(self, values, cls, **kw)
        raw = list(values.values()) if isinstance(values, dict) else list(values)
        assert len(out) == len(raw), "an item was dropped"
        records.extend(zip(raw, [cls] * len(raw), out, strict=True))
        return out

    def spy_structure(self: Decoder, value: Any, cls: type[Any], **kw: Any) -> Any:
        out = structure(self, value, cls, **kw)
        records.append((value, cls, out))
        return out

    def spy_item(self: Decoder, value: Any, cls: type[Any]) -> Any:
        out = item(self, value, cls)
        records.append((value, cls, out))
        return out

    monkeypatch.setattr(Decoder, "items", spy_items)
    monkeypatch.setattr(Decoder, "structure", spy_structure)
    monkeypatch.setattr(Decoder, "item", spy_item)
    return records


def _compare(seen: Seen, legacy: Callable[[Any, type[Any]], Any], minimum: int) -> None:
    assert len(seen) >= minimum
    for raw, cls, new in seen:
        old = legacy(raw, cls)
        assert new == old, f"{cls.__name__}: {new!r} != {old!r}"
        assert new.extra == old.extra
        assert new.problems == ()
        # Equality is deep (attrs eq): nested models and their `extra` are compared too.
        assert attrs.asdict(new, filter=lambda a, _: a.name != "problems") == attrs.asdict(
            old, filter=lambda a, _: a.name != "problems"
        )


async def test_phrase_equal_to_legacy(seen: Seen) -> None:
    from asyncdam.phrase import Phrase

    handle = in_process_emulator("phrase", EmulatorConfig(seed=5, size=0.3))
    async with Engine(transport=handle.transport) as engine:
        phrase = Phrase(token=handle.token, base_url=handle.base_url, engine=engine)
        projects = [p async for p in phrase.projects.list()]
        for project in projects[:2]:
            assert project.id is not None
            _ = [k async for k in phrase.keys.list(project.id)]
            _ = [loc async for loc in phrase.locales.list(project.id)]
            _ = [t async for t in phrase.translations.list(project.id)]
            await phrase.projects.show(project.id)
    _compare(seen, legacy_phrase.converter.structure, minimum=50)


async def test_phraseanet_equal_to_legacy(seen: Seen) -> None:
    from asyncdam.phraseanet import Phraseanet

    handle = in_process_emulator("phraseanet", EmulatorConfig(seed=5, size=0.3))
    async with Engine(transport=handle.transport) as engine:
        pn = Phraseanet(handle.base_url, token=handle.token, engine=engine)
        await pn.me.get()
        await pn.databoxes.list()
        _ = [r async for r in pn.records.search(extended=True)]
        _ = [r async for r in pn.records.search_v3()]
        _ = [e async for e in pn.feeds.entries()]
        await pn.baskets.list()
    _compare(seen, legacy_phraseanet.structure, minimum=50)


async def test_openasset_equal_to_legacy(seen: Seen) -> None:
    from asyncdam.openasset import OpenAsset

    token = ("7", "s3cr3t-Token_value-abcdefghijklmnopqrstuvwxyz0")
    handle = in_process_emulator(
        "openasset", EmulatorConfig(seed=3, token=":".join(token), size=0.2)
    )
    async with Engine(transport=handle.transport) as engine:
        oa = OpenAsset(handle.base_url, token=token, engine=engine)
        files = [f async for f in oa.files.list()]
        _ = [p async for p in oa.projects.list()]
        _ = [a async for a in oa.albums.list()]
        _ = [k async for k in oa.keywords.list()]
        _ = [f async for f in oa.fields.list()]
        assert files[0].id is not None
        await oa.files.get(files[0].id)
    _compare(seen, legacy_openasset.structure, minimum=50)
