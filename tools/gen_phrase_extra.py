"""Build asyncdam/_spec/phrase_extra.json: the operations the official client has and the spec
snapshot lacks, in the index's own OpenAPI shape.

Usage: python tools/gen_phrase_extra.py   (reads the installed phrase-api; pinned in the dev extra)

For every operation of the installed `phrase-api` whose (method, path) the snapshot index does not
have, the facts are read from the client's generated modules (tools/phrase_official.py: method,
path, parameters with location and required flag, body model fields, response model fields) and
written as an OpenAPI operation carrying `x-source: "phrase-api VERSION (module.method)"`.

Choices made here (the client does not state them):
- operation ids follow the snapshot's naming (`OPERATION_IDS`); an unknown operation gets
  `<module>/<method>` so a rerun after an upstream release still works;
- success status: POST 201, DELETE without a response type 204, otherwise 200 (the snapshot's
  convention);
- a declared path parameter the path template does not name is renamed after the template's
  variable (the client declares `id` for `{automation_id}`), noted in `x-repaired`;
- models the snapshot already has (same snake name) are referenced, never redefined; the client's
  inline response objects (`...200ResponseInner`) stay inline, as the snapshot writes them.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phrase_official import (
    OfficialModel,
    OfficialOperation,
    OfficialParam,
    official_models,
    official_operations,
    official_version,
    route_key,
)

REPO = Path(__file__).resolve().parent.parent
INDEX = REPO / "asyncdam" / "_spec" / "phrase_index.json"
OUT = REPO / "asyncdam" / "_spec" / "phrase_extra.json"

# Official method name -> operation id in the snapshot's style (`noun/verb`, singular for one).
OPERATION_IDS = {
    "account_automation_events_list": "automation_events/by_account",
    "automation_events_list": "automation_events/list",
    "check_issues_list": "check_issues/list",
    "check_issue_dismiss": "check_issue/dismiss",
    "key_format_annotations_list": "key_format_annotations/list",
    "machine_translation_settings_show": "machine_translation_settings/show",
    "machine_translation_settings_update": "machine_translation_settings/update",
    "machine_translation_locale_provider_mappings_create": (
        "machine_translation_locale_provider_mapping/create"
    ),
    "machine_translation_locale_provider_mappings_destroy": (
        "machine_translation_locale_provider_mapping/delete"
    ),
    "members_by_project": "members/by_project",
    "pre_translation_create": "pre_translation/create",
    "pre_translation_show": "pre_translation/show",
    "pre_translations_list": "pre_translations/list",
    "languages_list": "languages/list",
}
RATE_HEADERS = ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")
PAGE_HEADERS = ("Link", "Pagination")
INLINE_MODEL = re.compile(r"\d{3}Response")


def snake(text: str) -> str:
    """`Key Format Annotations` -> `key_format_annotations`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("'s", "")).strip("_")


def tag_for(module: str, tags: list[str]) -> str:
    """The snapshot's tag for the client's module, or the module's words title-cased."""
    stem = module.removesuffix("_api")
    for tag in tags:
        if snake(tag) == stem:
            return tag
    return " ".join(word.capitalize() for word in stem.split("_"))


class Builder:
    """Turns the client's facts into index-shaped operations and component schemas."""

    def __init__(self, index: dict[str, Any], models: dict[str, OfficialModel]) -> None:
        self.index = index
        self.models = models
        self.by_module = {m.module: m for m in models.values()}
        self.schemas: dict[str, Any] = {}

    def type_schema(self, typ: str) -> dict[str, Any]:
        """An OpenAPI schema for one of the client's type strings."""
        simple = {
            "str": {"type": "string"},
            "int": {"type": "integer"},
            "float": {"type": "number"},
            "bool": {"type": "boolean"},
            "datetime": {"type": "string", "format": "date-time"},
            "date": {"type": "string", "format": "date"},
            "file": {"type": "string", "format": "binary"},
            "object": {"type": "object"},
        }
        if typ in simple:
            return dict(simple[typ])
        inner = re.fullmatch(r"List\[(.+)\]", typ)
        if inner:
            return {"type": "array", "items": self.type_schema(inner[1])}
        mapping = re.fullmatch(r"(?:Dict\[str, |dict\(str, )(.+)[\])]", typ)
        if mapping:
            return {"type": "object", "additionalProperties": self.type_schema(mapping[1])}
        if typ in self.models:
            return self.model_schema(self.models[typ])
        raise SystemExit(f"unknown type in the official client: {typ!r}")

    def object_schema(self, model: OfficialModel) -> dict[str, Any]:
        """A model's fields as an inline object schema."""
        props: dict[str, Any] = {}
        for f in model.fields:
            prop = self.type_schema(f.type)
            if f.enum:
                target = prop["items"] if prop.get("type") == "array" else prop
                target["enum"] = list(f.enum)
            props[f.wire] = prop
        schema: dict[str, Any] = {"type": "object", "properties": props}
        required = [f.wire for f in model.fields if f.required]
        if required:
            schema["required"] = required
        return schema

    def model_schema(self, model: OfficialModel) -> dict[str, Any]:
        """A `$ref` to the component schema for `model` (created when the snapshot lacks it)."""
        if INLINE_MODEL.search(model.class_name):
            return self.object_schema(model)
        name = model.module
        if name not in self.index["components"]["schemas"] and name not in self.schemas:
            self.schemas[name] = {}  # reserve first: a model may refer to itself
            self.schemas[name] = self.object_schema(model)
        return {"$ref": f"#/components/schemas/{name}"}

    def parameter(self, p: OfficialParam) -> dict[str, Any]:
        """A `$ref` to the snapshot's shared parameter of the same name and place, or inline."""
        where = p.where
        shared = self.index["components"]["parameters"].get(p.wire)
        schema = self.type_schema(p.type)
        if shared and shared["in"] == where and shared.get("schema") == schema:
            return {"$ref": f"#/components/parameters/{p.wire}"}
        out: dict[str, Any] = {"in": where, "name": p.wire, "schema": schema}
        if p.required or where == "path":
            out["required"] = True
        if p.multi:
            out["style"], out["explode"] = "form", True
        return out

    def operation(self, op: OfficialOperation, tags: list[str], version: str) -> dict[str, Any]:
        """One index operation for an official one."""
        template = re.findall(r"{(\w+)}", op.path)
        declared = [p.wire for p in op.params if p.where == "path"]
        unnamed = [v for v in template if v not in declared]
        repaired: list[str] = []
        params: list[dict[str, Any]] = []
        body: dict[str, Any] | None = None
        for p in op.params:
            if p.where == "path" and p.wire not in template and unnamed:
                new = unnamed.pop(0)
                repaired.append(f"path parameter {p.wire!r} named {new!r} after the template")
                p = OfficialParam(new, new, "path", p.type, True)
            if p.where == "body":
                model = self.models[p.type]
                media = op.content_type or "application/json"
                body = {
                    "content": {media: {"schema": self.object_schema(model)}},
                    "required": p.required,
                }
                continue
            if p.where in ("form", "file"):
                raise SystemExit(f"{op.source}: form bodies are not handled yet")
            params.append(self.parameter(p))
        out: dict[str, Any] = {
            "operationId": OPERATION_IDS.get(
                op.method_name, f"{op.module.removesuffix('_api')}/{op.method_name}"
            ),
            "tags": [tag_for(op.module, tags)],
            "parameters": params,
            "responses": self.responses(op),
            "x-source": f"phrase-api {version} ({op.source})",
        }
        if body is not None:
            out["requestBody"] = body
        if repaired:
            out["x-repaired"] = "; ".join(repaired)
        return out

    def responses(self, op: OfficialOperation) -> dict[str, Any]:
        """The success response (schema and headers) plus the snapshot's shared error responses."""
        headers = {h: {"$ref": f"#/components/headers/{h}"} for h in RATE_HEADERS}
        out: dict[str, Any] = {}
        if op.response_type is None:
            code = "204" if op.method == "DELETE" else "200"
            out[code] = {"headers": headers}
        else:
            schema = self.type_schema(op.response_type)
            if schema.get("type") == "array" and any(p.wire == "page" for p in op.params):
                headers = {h: {"$ref": f"#/components/headers/{h}"} for h in PAGE_HEADERS} | headers
            code = "201" if op.method == "POST" else "200"
            out[code] = {"content": {"application/json": {"schema": schema}}, "headers": headers}
        errors = ["400", "401", "403", "404"]
        if op.method in ("POST", "PATCH", "PUT"):
            errors.append("422")
        errors.append("429")
        for code in errors:
            out[code] = {"$ref": f"#/components/responses/{code}"}
        return out


def build(index: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The extra index for every official operation the snapshot lacks, and how many there are."""
    version = official_version()
    known = {
        route_key(method, path)
        for path, ops in index["paths"].items()
        for method in ops
        if method != "parameters"
    }
    builder = Builder(index, official_models())
    paths: dict[str, dict[str, Any]] = {}
    count = 0
    for op in official_operations():
        if route_key(op.method, op.path) in known:
            continue
        paths.setdefault(op.path, {})[op.method.lower()] = builder.operation(
            op, index["tags"], version
        )
        count += 1
    extra = {
        "info": {
            "source": f"phrase-api {version}",
            "generated_by": "tools/gen_phrase_extra.py",
        },
        "paths": paths,
        "components": {"schemas": builder.schemas},
    }
    return extra, count


def main() -> None:
    """Write the extra index next to the snapshot index."""
    index = json.loads(INDEX.read_text(encoding="utf-8"))
    extra, count = build(index)
    OUT.write_text(json.dumps(extra, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}: {count} operations")


if __name__ == "__main__":
    main()
