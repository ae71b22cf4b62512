"""The Phrase spec's facts, committed as a generated index (no prose), for the generator, the
emulator's spec-driven handler and the contract tests; nothing here reads ../shared at run time.

`phrase_index.json` is written by tools/gen_spec_index.py from the spec snapshot;
`phrase_extra.json` (when present) adds operations the snapshot lacks, each with its source noted.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["merge_extra", "phrase_index", "phrase_operations"]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def merge_extra(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` (the index, or the full spec) with the extra operations and schemas merged in."""
    if resources.files(__package__).joinpath("phrase_extra.json").is_file():
        extra = _load("phrase_extra.json")
        for path, ops in extra.get("paths", {}).items():
            spec["paths"].setdefault(path, {}).update(ops)
        for section, entries in extra.get("components", {}).items():
            spec.setdefault("components", {}).setdefault(section, {}).update(entries)
    return spec


@cache
def phrase_index() -> dict[str, Any]:
    """The merged index: the snapshot's paths and components plus the extra operations.

    Cached and shared: callers that change it must deep-copy it first.
    """
    return merge_extra(_load("phrase_index.json"))


def phrase_operations() -> list[tuple[str, str, str]]:
    """Every (METHOD, path, operationId) of the merged index, sorted by path then method."""
    rows = [
        (method.upper(), path, op.get("operationId", ""))
        for path, ops in phrase_index()["paths"].items()
        for method, op in ops.items()
        if method in HTTP_METHODS
    ]
    return sorted(rows, key=lambda row: (row[1], row[0]))
