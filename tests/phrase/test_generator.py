"""The committed generated code is exactly what the generator makes from the committed index."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, SPEC_PATH, load_index

EXTRA = REPO / "asyncdam" / "_spec" / "phrase_extra.json"


def _tree(root: Path) -> set[str]:
    files = {p.relative_to(root).as_posix() for p in (root / "resources").rglob("*.py")}
    return files | {"models.py"}


def _generate(out: Path, *spec: str) -> str:
    out.mkdir()
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(REPO / "tools" / "generate_phrase.py"), "--out", str(out), *spec],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "ASYNCDAM_PHRASE_SPEC"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _changed(out: Path) -> list[str]:
    committed = REPO / "asyncdam" / "phrase"
    assert _tree(out) == _tree(committed)
    return [
        name
        for name in sorted(_tree(out))
        if not filecmp.cmp(out / name, committed / name, shallow=False)
    ]


def test_generated_code_has_not_drifted(tmp_path: Path) -> None:
    """From the committed index alone (a fresh clone), the generator rewrites what is committed."""
    stdout = _generate(tmp_path / "phrase")
    assert "generated 301 operations" in stdout
    changed = _changed(tmp_path / "phrase")
    assert not changed, f"regenerate with tools/generate_phrase.py: {changed}"


def test_full_spec_generates_the_same_code(tmp_path: Path) -> None:
    """The index keeps every fact the generator reads: the full spec gives identical code."""
    if not SPEC_PATH.is_file():
        pytest.skip(f"the full spec is optional and not at {SPEC_PATH}")
    stdout = _generate(tmp_path / "phrase", "--spec", str(SPEC_PATH))
    assert "generated 301 operations" in stdout
    assert not _changed(tmp_path / "phrase")


def test_every_extra_operation_cites_its_source() -> None:
    """Each operation added beside the snapshot names the official client method it came from."""
    extra = json.loads(EXTRA.read_text(encoding="utf-8"))
    ops = [op for item in extra["paths"].values() for op in item.values()]
    assert len(ops) == 14
    for op in ops:
        assert op["x-source"].startswith("phrase-api 3.31.0 ("), op["operationId"]
    index = load_index()
    merged = {op["operationId"] for item in index["paths"].values() for op in item.values()}
    assert {op["operationId"] for op in ops} <= merged


def test_docstrings_state_route_result_required_and_retry() -> None:
    """Generated docstrings are written from the facts, not the mechanical `Call x (GET)`."""
    from asyncdam.phrase.resources.keys import KeysResource
    from asyncdam.phrase.resources.pre_translations import PreTranslationsResource

    # Whitespace-normalised: where a docstring wraps is not what is being tested.
    listing = " ".join((KeysResource.list.__doc__ or "").split())
    assert "GET /projects/{project_id}/keys" in listing
    assert "Paginator[TranslationKey]" in listing
    assert "Required: `project_id`." in listing
    assert "GET is idempotent" in listing
    assert "keys/list" in listing
    create = " ".join((PreTranslationsResource.create.__doc__ or "").split())
    assert "POST /projects/{project_id}/pre_translations" in create
    assert "`PreTranslation`" in create
    assert "POST is not idempotent" in create
    assert "pre_translations_api.pre_translation_create" in create


def test_extra_index_is_what_the_installed_client_gives() -> None:
    """tools/gen_phrase_extra.py, rerun on the pinned phrase-api, rewrites the committed file."""
    import importlib.util

    if importlib.util.find_spec("phrase_api") is None:
        pytest.skip("phrase-api is not installed (it is in the dev extra)")
    from importlib.metadata import version

    committed = json.loads(EXTRA.read_text(encoding="utf-8"))
    if committed["info"]["source"] != f"phrase-api {version('phrase-api')}":
        pytest.skip("another phrase-api release is installed than the one the file was made from")
    # The tool puts tools/ on sys.path itself to import its reader (tools/phrase_official.py).
    spec = importlib.util.spec_from_file_location(
        "gen_phrase_extra", REPO / "tools" / "gen_phrase_extra.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    snapshot = json.loads((REPO / "asyncdam" / "_spec" / "phrase_index.json").read_text("utf-8"))
    rebuilt, count = module.build(snapshot)
    assert count == 14
    assert rebuilt == committed


def test_every_generated_method_documents_its_facts() -> None:
    """All 301 operations: the docstring names the route, the operation, the result and retry."""
    from asyncdam.phrase.resources import RESOURCES

    checked = 0
    for cls in RESOURCES.values():
        module = sys.modules[cls.__module__]
        for name, op in module.OPERATIONS.items():
            doc = " ".join((getattr(cls, name).__doc__ or "").split())
            assert f"{op.method} {op.path}" in doc, (op.op_id, doc)
            assert f"Operation `{op.op_id}`" in doc, op.op_id
            assert "Returns" in doc and ("Required:" in doc or "No parameter is required" in doc)
            assert ("retried" in doc) or ("Retried" in doc), op.op_id
            if op.paged:
                assert "per_page" in doc, op.op_id
            checked += 1
    assert checked == 301
