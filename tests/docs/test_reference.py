"""The API reference pages name every client, resource group and model module there is."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"


def rendered(page: str) -> set[str]:
    """The objects a reference page hands to mkdocstrings (`::: dotted.name`)."""
    text = (REFERENCE / page).read_text(encoding="utf-8")
    return {line[4:].strip() for line in text.splitlines() if line.startswith("::: ")}


def test_every_phrase_resource_group_is_rendered() -> None:
    import asyncdam.phrase.resources as package

    expected = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if name.endswith("Resource") and inspect.isclass(obj):
                if obj.__module__ == module.__name__:
                    expected.add(f"{module.__name__}.{name}")
    assert expected
    assert expected <= rendered("phrase.md")


def _groups(client: object, base: type) -> set[str]:
    """Dotted names of the resource-group classes a client instance holds."""
    return {
        f"{type(v).__module__}.{type(v).__qualname__}"
        for v in vars(client).values()
        if isinstance(v, base)
    }


def test_every_phraseanet_group_is_rendered() -> None:
    from asyncdam.phraseanet import Phraseanet
    from asyncdam.phraseanet.resource import ResourceGroup

    groups = _groups(Phraseanet("https://dam.example.org", token="t"), ResourceGroup)
    assert len(groups) >= 10
    assert groups <= rendered("phraseanet.md")


def test_every_openasset_group_is_rendered() -> None:
    from asyncdam.openasset import OpenAsset
    from asyncdam.openasset.resources import Resource

    groups = _groups(OpenAsset("https://acme.openasset.com", token=("1", "s")), Resource)
    assert len(groups) >= 8
    assert groups <= rendered("openasset.md")


@pytest.mark.parametrize("service", ["phrase", "phraseanet", "openasset"])
def test_each_service_page_renders_its_client_and_models(service: str) -> None:
    names = rendered(f"{service}.md")
    assert f"asyncdam.{service}.models" in names
    assert any(name.startswith(f"asyncdam.{service}.client.") for name in names)
