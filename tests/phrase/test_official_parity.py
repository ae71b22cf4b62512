"""Our Phrase operations cover every operation of the official `phrase-api` client.

The installed client (pinned in the `dev` extra, so CI is deterministic; `nox -s phrase_parity`
installs the latest release instead) is read with tools/phrase_official.py, which parses its
generated modules without running them. Operations are matched by method and path, the variable
names blanked (the two name them differently). A new upstream operation fails this test, naming it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from asyncdam.phrase.resources import RESOURCES

REPO = Path(__file__).resolve().parents[2]


def _official() -> ModuleType:
    if importlib.util.find_spec("phrase_api") is None:
        pytest.skip("phrase-api is not installed (it is in the dev extra)")
    spec = importlib.util.spec_from_file_location(
        "phrase_official", REPO / "tools" / "phrase_official.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("phrase_official", module)
    spec.loader.exec_module(module)
    return module


def _ours() -> dict[tuple[str, str], str]:
    """(METHOD, blanked path) -> our `group.method` for every generated operation."""
    official = _official()
    out: dict[tuple[str, str], str] = {}
    for attr, cls in RESOURCES.items():
        module = sys.modules[cls.__module__]
        for name, op in module.OPERATIONS.items():
            out[official.route_key(op.method, op.path)] = f"{attr}.{name}"
    return out


def test_route_key_blanks_variable_names() -> None:
    official = _official()
    assert official.route_key("get", "/projects/{project_id}/keys/{id}") == (
        "GET",
        "/projects/{}/keys/{}",
    )


def test_the_official_client_is_read() -> None:
    """The reader finds the client's operations with their facts (guards against a silent 0)."""
    official = _official()
    ops = official.official_operations()
    assert len(ops) >= 301
    by_name = {op.method_name: op for op in ops}
    create = by_name["pre_translation_create"]
    assert (create.method, create.path) == ("POST", "/projects/{project_id}/pre_translations")
    assert {(p.wire, p.where, p.required) for p in create.params} >= {
        ("project_id", "path", True),
        ("X-PhraseApp-OTP", "header", False),
    }
    assert [p.type for p in create.params if p.where == "body"] == [
        "PreTranslationCreateParameters"
    ]
    models = official.official_models()
    fields = {
        f.wire: f for f in models["MachineTranslationLocaleProviderMappingsCreateParameters"].fields
    }
    assert fields["service"].required


def test_we_have_every_official_operation() -> None:
    """Every (method, path) the official client calls is one of our generated operations."""
    official = _official()
    ours = _ours()
    missing = [
        f"{op.source}: {op.method} {op.path}"
        for op in official.official_operations()
        if official.route_key(op.method, op.path) not in ours
    ]
    version = official.official_version()
    assert not missing, (
        f"phrase-api {version} has operations we lack (add them with tools/gen_phrase_extra.py, "
        "then tools/generate_phrase.py):\n" + "\n".join(missing)
    )


def test_every_official_operation_maps_to_one_of_ours() -> None:
    """The mapping is one to one: no two official methods share one of our operations."""
    official = _official()
    keys = [official.route_key(op.method, op.path) for op in official.official_operations()]
    assert len(keys) == len(set(keys))
    assert set(keys) <= set(_ours())
