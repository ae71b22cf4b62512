"""The generated Phrase client against the emulator's spec-served operations: every client
operation has an emulator route, and resources no hand-built route serves work end to end."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from phrase_support import TOKEN, make_app

import asyncdam.phrase.resources as resources
from asyncdam.emulator.phrase.app import ROUTER
from asyncdam.engine.errors import NotFound, ValidationFailed
from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase


def _client_operations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for info in pkgutil.iter_modules(resources.__path__):
        module = importlib.import_module(f"{resources.__name__}.{info.name}")
        for op in getattr(module, "OPERATIONS", {}).values():
            found.add((op.method, re.sub(r"\{\w+\}", "{}", op.path)))
    return found


def test_every_client_operation_has_an_emulator_route() -> None:
    ours = {(m, re.sub(r"\{\w+\}", "{}", t)) for m, t in ROUTER.templates}
    client = _client_operations()
    assert len(client) > 280
    assert client <= ours, sorted(client - ours)


@pytest.fixture
async def phrase() -> AsyncIterator[Phrase]:
    app, _ = make_app(quota=10_000)
    async with Engine(transport=httpx.ASGITransport(app=app)) as engine:
        yield Phrase(token=TOKEN, base_url="http://127.0.0.1/v2", engine=engine)


async def _ids(phrase: Phrase) -> tuple[str, str]:
    projects = [p.id async for p in phrase.projects.list()]
    accounts = [a.id async for a in phrase.accounts.list()]
    return projects[0] or "", accounts[0] or ""


async def test_webhooks_through_the_client(phrase: Phrase) -> None:
    project, _ = await _ids(phrase)
    hook = await phrase.webhooks.create(project, callback_url="https://example.com/h")
    assert hook.id and hook.callback_url == "https://example.com/h"
    assert [h.id async for h in phrase.webhooks.list(project)] == [hook.id]
    changed = await phrase.webhooks.update(project, hook.id, active=False)
    assert changed.active is False
    assert (await phrase.webhooks.show(project, hook.id)).active is False
    await phrase.webhooks.delete(project, hook.id)
    with pytest.raises(NotFound):
        await phrase.webhooks.show(project, hook.id)


async def test_glossary_terms_and_variables_through_the_client(phrase: Phrase) -> None:
    project, account = await _ids(phrase)
    glossary = await phrase.glossaries.create(account, name="Brand words")
    assert glossary.id
    term = await phrase.glossary_terms.create(account, glossary.id, term="Acme")
    assert term.term == "Acme"
    terms = [t.term async for t in phrase.glossary_terms.list(account, glossary.id)]
    assert terms == ["Acme"]
    with pytest.raises(ValidationFailed):
        await phrase.variables.create(project, name="")
    await phrase.variables.create(project, name="brand", value="Acme")
    assert (await phrase.variables.show(project, "brand")).value == "Acme"
