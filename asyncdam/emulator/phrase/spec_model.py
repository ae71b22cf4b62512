"""The operations of the Phrase spec index, classified for the spec-driven handler (pure).

Everything here is read from `asyncdam._spec.phrase_index()` (the committed, merged index): which
path templates are collections, which operation lists, creates, shows, updates, deletes or acts,
which parameters and body fields are required, and which schema each success answer has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

import attrs

from asyncdam._spec import phrase_index, phrase_operations

PARAM = re.compile(r"^\{(\w+)\}$")
REF_PREFIX = "#/components/"
ITEM_METHODS = {"GET": "show", "PATCH": "update", "PUT": "update", "DELETE": "delete"}


def normalize(template: str) -> str:
    """A path template with every parameter name erased (`/a/{x}/b` -> `/a/{}/b`)."""
    return re.sub(r"\{\w+\}", "{}", template)


def is_param(segment: str) -> bool:
    """Whether a template segment is a `{parameter}`."""
    return PARAM.match(segment) is not None


class Schemas:
    """Resolves `$ref`s against the index's components and flattens `allOf` (memoized)."""

    def __init__(self, components: dict[str, Any]) -> None:
        """Resolve against `components` (the index's `components` section)."""
        self.components = components
        self._memo: dict[int, dict[str, Any]] = {}

    def ref_name(self, node: Any) -> str:
        """The component name a `$ref` node points at (`""` for an inline schema)."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            return str(node["$ref"]).rsplit("/", 1)[-1]
        return ""

    def deref(self, node: Any) -> Any:
        """Follow `$ref` chains to the referenced node."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 32:
            ref: str = node["$ref"]
            if not ref.startswith(REF_PREFIX):
                return {}
            target: Any = self.components
            for part in ref[len(REF_PREFIX) :].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node, seen = target, seen + 1
        return node

    def resolve(self, node: Any) -> dict[str, Any]:
        """One level of a schema made plain: refs followed, `allOf` merged, a union narrowed.

        Nested property schemas stay as they are; resolve them when they are needed (the spec's
        schemas refer to each other, so resolving eagerly would not end).
        """
        node = self.deref(node)
        if not isinstance(node, dict):
            return {}
        memo = self._memo.get(id(node))
        if memo is not None:
            return memo
        out = {k: v for k, v in node.items() if k not in ("allOf", "oneOf", "anyOf")}
        parts = list(node.get("allOf", ()))
        union = node.get("oneOf") or node.get("anyOf")
        if union:
            parts.append(_pick_choice(self, union))
        for part in parts:
            sub = self.resolve(part)
            props = {**out.get("properties", {}), **sub.get("properties", {})}
            required = [*out.get("required", ()), *sub.get("required", ())]
            out = {**sub, **out}
            if props:
                out["properties"] = props
            if required:
                out["required"] = list(dict.fromkeys(required))
        if "properties" in out and "type" not in out:
            out["type"] = "object"
        self._memo[id(node)] = out
        return out


def _pick_choice(schemas: Schemas, choices: list[Any]) -> Any:
    # A union of answers (e.g. data | error): the emulator answers the success branch.
    for choice in choices:
        props = schemas.resolve(choice).get("properties", {})
        if props and "error" not in props:
            return choice
    return choices[0]


@attrs.frozen
class QueryParam:
    """A query parameter an operation declares."""

    name: str
    required: bool
    schema: dict[str, Any]


@attrs.frozen
class SpecOp:
    """One operation of the index as the spec-driven handler serves it."""

    method: str
    template: str
    op_id: str
    kind: str  # list | create | show | update | delete | action
    segments: tuple[str, ...]
    query: tuple[QueryParam, ...]
    body: dict[str, Any] | None
    body_type: str  # "json" | "multipart" | ""
    status: int
    response: dict[str, Any] | None
    response_ref: str
    paged: bool
    resource: str

    @property
    def norm(self) -> str:
        """The template without parameter names."""
        return normalize(self.template)


@attrs.frozen
class Collection:
    """What the spec says about one collection path (normalized template)."""

    norm: str
    has_list: bool
    has_create: bool
    item_param: str
    item_ref: str
    key_field: str = "id"

    @property
    def seeded(self) -> bool:
        """Listed but never created through the API: items exist from the start."""
        return self.has_list and not self.has_create

    @property
    def open(self) -> bool:
        """Neither listed nor created: any id names an item (it is made on first use)."""
        return not self.has_list and not self.has_create


@attrs.frozen
class SpecTable:
    """The classified operations and collections of the merged index."""

    ops: tuple[SpecOp, ...]
    collections: dict[str, Collection]
    schemas: Schemas

    def op(self, method: str, template: str) -> SpecOp | None:
        """The operation for a method and template (parameter names ignored)."""
        norm = normalize(template)
        for op in self.ops:
            if op.method == method and op.norm == norm:
                return op
        return None


def singular(word: str) -> str:
    """An English plural made singular the simple way (`properties` -> `property`)."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def resource_name(segments: Iterable[str]) -> str:
    """The model a 422 names, from the last literal segment (`job_templates` -> JobTemplate)."""
    literal = [s for s in segments if not is_param(s)]
    word = singular(literal[-1] if literal else "resource")
    return "".join(part.capitalize() for part in word.split("_"))


def _success(op: dict[str, Any], schemas: Schemas) -> tuple[int, dict[str, Any] | None, str]:
    codes = sorted(code for code in op.get("responses", {}) if code.startswith("2"))
    code = codes[0] if codes else "200"
    answer = schemas.deref(op.get("responses", {}).get(code, {}))
    content = answer.get("content", {}) if isinstance(answer, dict) else {}
    for media in content.values():
        raw = media.get("schema")
        if raw is None:
            continue
        resolved = schemas.resolve(raw)
        ref = schemas.ref_name(raw)
        if resolved.get("type") == "array":
            ref = schemas.ref_name(resolved.get("items"))
        return int(code), resolved, ref
    return int(code), None, ""


def _body(op: dict[str, Any], schemas: Schemas) -> tuple[dict[str, Any] | None, str]:
    body = schemas.deref(op.get("requestBody"))
    if not isinstance(body, dict):
        return None, ""
    for media, content in body.get("content", {}).items():
        kind = "multipart" if media.startswith("multipart/") else "json"
        return schemas.resolve(content.get("schema", {})), kind
    return None, ""


def _query(op: dict[str, Any], path_item: dict[str, Any], schemas: Schemas) -> list[QueryParam]:
    out: dict[str, QueryParam] = {}
    for raw in [*path_item.get("parameters", ()), *op.get("parameters", ())]:
        param = schemas.deref(raw)
        if isinstance(param, dict) and param.get("in") == "query":
            name = str(param.get("name", ""))
            schema = schemas.resolve(param.get("schema", {}))
            out[name] = QueryParam(name, bool(param.get("required")), schema)
    return list(out.values())


def build_table(index: dict[str, Any], rows: list[tuple[str, str, str]]) -> SpecTable:
    """Classify every operation in `rows` (method, template, operationId) of `index`."""
    schemas = Schemas(index.get("components", {}))
    raw: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = []
    for method, template, op_id in rows:
        path_item = index["paths"][template]
        raw.append((method, template, op_id, path_item[method.lower()], path_item))
    collection_norms: set[str] = set()
    for method, template, _, op, _ in raw:
        parts = template.strip("/").split("/")
        response = _success(op, schemas)[1]
        if is_param(parts[-1]) and len(parts) > 1:
            collection_norms.add(normalize("/" + "/".join(parts[:-1])))
        elif method == "GET" and response is not None and response.get("type") == "array":
            collection_norms.add(normalize(template))
    ops: list[SpecOp] = []
    for method, template, op_id, op, path_item in raw:
        segments = tuple(template.strip("/").split("/"))
        status, response, ref = _success(op, schemas)
        body, body_type = _body(op, schemas)
        query = _query(op, path_item, schemas)
        norm = normalize(template)
        if is_param(segments[-1]):
            kind = ITEM_METHODS.get(method, "action")
        elif method == "GET" and response is not None and response.get("type") == "array":
            kind = "list"
        elif method == "POST" and norm in collection_norms:
            kind = "create"
        else:
            kind = "action"
        names = {q.name for q in query}
        ops.append(
            SpecOp(
                method=method,
                template=template,
                op_id=op_id,
                kind=kind,
                segments=segments,
                query=tuple(query),
                body=body,
                body_type=body_type,
                status=status,
                response=response,
                response_ref=ref,
                paged="page" in names and "per_page" in names,
                resource=resource_name(segments),
            )
        )
    return SpecTable(tuple(ops), _collections(ops, collection_norms, schemas), schemas)


def _named(schemas: Schemas, ops: list[SpecOp]) -> bool:
    # Items without an `id` but with a `name` (job annotations) are addressed by their name.
    for op in ops:
        schema = op.response or {}
        if schema.get("type") == "array":
            schema = schemas.resolve(schema.get("items", {}))
        props = schema.get("properties", {})
        if props:
            return "id" not in props and "name" in props
    return False


def _collections(ops: list[SpecOp], norms: set[str], schemas: Schemas) -> dict[str, Collection]:
    out: dict[str, Collection] = {}
    for norm in sorted(norms):
        mine = [op for op in ops if op.norm == norm]
        items = [op for op in ops if op.kind in ("show", "update", "delete")
                 and normalize("/" + "/".join(op.segments[:-1])) == norm]  # fmt: skip
        item_param = next((PARAM.match(op.segments[-1]) for op in items), None)
        shows = [op.response_ref for op in items if op.kind == "show" and op.response_ref]
        creates = [op.response_ref for op in mine if op.kind == "create" and op.response_ref]
        lists = [op.response_ref for op in mine if op.kind == "list" and op.response_ref]
        param = item_param.group(1) if item_param else "id"
        out[norm] = Collection(
            norm=norm,
            has_list=any(op.kind == "list" for op in mine),
            has_create=any(op.kind == "create" for op in mine),
            item_param=param,
            item_ref=(shows or creates or lists or [""])[0],
            key_field="name" if param == "name" or _named(schemas, [*items, *mine]) else "id",
        )
    return out


@cache
def spec_table() -> SpecTable:
    """The table of the merged committed index (built once per process)."""
    return build_table(phrase_index(), phrase_operations())
