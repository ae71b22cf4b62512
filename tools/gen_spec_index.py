"""Build asyncdam/_spec/phrase_index.json: the Phrase spec's facts without its prose.

Usage: python tools/gen_spec_index.py [SPEC]   (default: ../shared/specs/phrase-strings-openapi.json
or $ASYNCDAM_PHRASE_SPEC)

Kept: operation ids, methods, paths, parameters (name, location, required flag, schema), request
and response schema shapes, headers, security schemes, tags by name, and a schema's `title` (a name
such as `upload_batch`, which the generator uses to name inline models). Dropped: every
description, summary, example and code sample, so the committed index carries facts only. Keys
keep the spec's order (model fields are generated in it). Operations the snapshot lacks (taken from
the official client) live in asyncdam/_spec/phrase_extra.json and are merged by the loader, each
with its source noted.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO.parent / "shared" / "specs" / "phrase-strings-openapi.json"
OUT = REPO / "asyncdam" / "_spec" / "phrase_index.json"

# Prose and samples: dropped wherever they document something (never as a property name).
PROSE_KEYS = {"description", "summary", "title"}
# Keys that make a node a schema, whose `title` is its name rather than prose.
SCHEMA_KEYS = {"type", "properties", "items", "allOf", "anyOf", "oneOf"}
SAMPLE_KEYS = {"example", "examples", "x-code-samples", "x-cli-version", "externalDocs"}
# Maps whose keys are names chosen by the spec (a property may be called "description").
NAME_MAPS = {"properties", "schemas", "parameters", "responses", "headers", "paths", "content"}


def strip(node: Any, name_map: bool = False) -> Any:
    """Drop prose and samples from `node`; the keys of a name map (`name_map`) are all kept."""
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if not name_map:
            if key in PROSE_KEYS and isinstance(value, str):
                if not (key == "title" and SCHEMA_KEYS & node.keys()):
                    continue
            if key in SAMPLE_KEYS:
                continue
        out[key] = strip(value, name_map=not name_map and key in NAME_MAPS)
    return out


def build(spec: dict[str, Any]) -> dict[str, Any]:
    """The index: the spec's structure with prose removed, plus where it came from."""
    info = spec.get("info", {})
    return {
        "openapi": spec.get("openapi"),
        "info": {
            "version": info.get("version"),
            "license": info.get("license", {}).get("name"),
            "generated_by": "tools/gen_spec_index.py",
        },
        "servers": [{"url": s["url"]} for s in spec.get("servers", [])],
        "security": spec.get("security", []),
        "tags": [t["name"] for t in spec.get("tags", [])],
        "components": {k: strip(v, name_map=True) for k, v in spec.get("components", {}).items()},
        "paths": strip(spec.get("paths", {}), name_map=True),
    }


def main() -> None:
    """Write the index next to the package."""
    default = os.environ.get("ASYNCDAM_PHRASE_SPEC", str(DEFAULT_SPEC))
    path = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    spec = json.loads(path.read_text(encoding="utf-8"))
    index = build(spec)
    OUT.write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    n_ops = sum(1 for ops in index["paths"].values() for m in ops if m != "parameters")
    print(f"wrote {OUT.relative_to(REPO)}: {n_ops} operations")


if __name__ == "__main__":
    main()
