"""Drives any operation of the merged Phrase spec index through the emulator with raw requests
built from the index alone: path ids found by listing (or creating) the parent collections,
required query and body fields filled from their schemas."""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import quote, unquote

import httpx
from phrase_support import TOKEN, basic

from asyncdam._spec import phrase_index, phrase_operations
from asyncdam.emulator.phrase.auth import USER_EMAIL

PARAM = re.compile(r"^\{(\w+)\}$")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PASSWORD_ONLY = {"Authorization": basic(USER_EMAIL, TOKEN)}

# Values a real caller would send for fields whose name says what they are.
GOOD_STRINGS = {
    "file_format": "yml",
    "callback_url": "https://example.com/hook",
    "email": "someone@example.com",
    "code": "xx-XX",
    "content": "Hello",
    "role": "Developer",
    "data_type": "string",
    "value": "v",
    "strategy": "keep_content",
    "repo_name": "org/repo",
    "provider": "github",
}


def norm(template: str) -> str:
    """A template with parameter names erased."""
    return re.sub(r"\{\w+\}", "{}", template)


# Inputs the service needs that the spec does not mark required ("@noun" = the id of a noun).
EXTRA_INPUT: dict[str, dict[str, Any]] = {
    "keys/tag": {"json": {"tags": "web"}},
    "keys/untag": {"json": {"tags": "web"}},
    "locale/download": {"params": {"file_format": "yml"}},
    "icu/skeleton": {"json": {"content": "{n, plural, one {# file} other {# files}}"}},
    "translation/create": {"json": {"locale_id": "@locale", "key_id": "@key", "content": "Hi"}},
    "job/keys/create": {"json": {"translation_key_ids": ["@key"]}},
}


class SpecDriver:
    """Finds ids for path templates and builds requests for operations, all from the index."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.c = client
        self.index = phrase_index()
        self.ops = {(m, norm(p)): (p, op) for m, p, op in phrase_operations()}
        self.ids: dict[str, str] = {}
        self.counter = itertools.count(1)

    def operation(self, method: str, template: str) -> dict[str, Any]:
        return dict(self.index["paths"][template][method.lower()])

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.index
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        if isinstance(node, dict) and "allOf" in node:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in node["allOf"]:
                sub = self.resolve(part)
                merged["properties"].update(sub.get("properties", {}))
                merged["required"] += sub.get("required", [])
            return merged
        return node

    async def path(self, template: str, fresh_last: bool = False) -> str:
        """A concrete path for `template`; with `fresh_last` the last item is made for the call."""
        parts = template.strip("/").split("/")
        out: list[str] = []
        for i, part in enumerate(parts):
            if PARAM.match(part) is None:
                out.append(part)
                continue
            creatable = ("POST", norm("/" + "/".join(parts[:i]))) in self.ops
            fresh = fresh_last and i == len(parts) - 1 and creatable
            out.append(quote(await self.item_id(parts[:i], out, fresh), safe=""))
        return "/" + "/".join(out)

    async def item_id(self, coll_parts: list[str], concrete: list[str], fresh: bool) -> str:
        coll_path = "/" + "/".join(concrete)
        if coll_path in self.ids and not fresh:
            return self.ids[coll_path]
        coll_norm = norm("/" + "/".join(coll_parts))
        by_name = any(PARAM.match(t.rsplit("/", 1)[-1] or "") and
                      t.rsplit("/", 1)[-1] == "{name}" and norm(t.rsplit("/", 1)[0]) == coll_norm
                      for t, _ in self.ops.values())  # fmt: skip
        found = None
        if not fresh and ("GET", coll_norm) in self.ops:
            resp = await self.c.get(coll_path, headers=self.auth(coll_norm))
            body = resp.json() if resp.status_code == 200 else None
            if isinstance(body, list) and body:
                first = body[0]
                found = first["name"] if by_name or "id" not in first else first["id"]
        if found is None and ("POST", coll_norm) in self.ops:
            found = await self.create(coll_norm, coll_path, by_name)
        if found is None:
            found = f"{next(self.counter):032x}"
        if not fresh:
            self.ids[coll_path] = found
        return str(found)

    async def create(self, coll_norm: str, coll_path: str, by_name: bool) -> str | None:
        template, _ = self.ops[("POST", coll_norm)]
        op = self.operation("POST", template)
        request = await self.request_args(op, template)
        resp = await self.c.post(coll_path, headers=self.auth(coll_norm), **request)
        assert resp.status_code < 300, (coll_path, resp.status_code, resp.text[:300])
        body = resp.json() if resp.content else {}
        sent = {**request.get("params", {}), **(request.get("json") or request.get("data") or {})}
        if by_name:
            return str(sent.get("name") or body.get("name"))
        for key in ("id",):
            if isinstance(sent.get(key), str):
                return str(sent[key])
        many = [v for k, v in sent.items() if k.endswith("_ids") and isinstance(v, list) and v]
        if not body.get("id") and many:
            return str(many[0][0])
        return str(body["id"]) if isinstance(body, dict) and body.get("id") else None

    def auth(self, template: str) -> dict[str, str]:
        return PASSWORD_ONLY if template.startswith("/authorizations") else {}

    async def request_args(self, op: dict[str, Any], template: str = "") -> dict[str, Any]:
        """Query, body and files for `op` with every required field filled.

        A body `id` names what a membership adds: an item of the collection the path ends with.
        """
        noun = template.rstrip("/").rsplit("/", 1)[-1]
        out: dict[str, Any] = {}
        query: dict[str, str] = {}
        for raw in op.get("parameters", []):
            param = self.resolve(raw)
            if param.get("in") == "query" and param.get("required"):
                query[param["name"]] = await self.value(param["name"], param.get("schema", {}))
            if param.get("in") == "path" and "{" + param["name"] + "}" not in template:
                # A spec defect: a path parameter the path lacks; send it in the query.
                query[param["name"]] = await self.related_id(noun[:-1])
        if query:
            out["params"] = query
        body = self.resolve(op.get("requestBody"))
        if not isinstance(body, dict) or not body.get("content"):
            await self.extra_input(op, out)
            return out
        media, content = next(iter(body["content"].items()))
        schema = self.resolve(content.get("schema", {}))
        fields: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for name in schema.get("required", []):
            sub = self.resolve(schema.get("properties", {}).get(name, {}))
            if sub.get("format") == "binary":
                files[name] = ("shot.png", PNG, "image/png")
            elif name == "id" and not PARAM.match(noun):
                fields[name] = await self.related_id(noun[:-1])
            else:
                fields[name] = await self.value(name, sub)
        if media.startswith("multipart/"):
            out["data"] = {k: str(v) for k, v in fields.items()}
            out["files"] = files
        else:
            out["json"] = fields
        await self.extra_input(op, out)
        return out

    async def extra_input(self, op: dict[str, Any], out: dict[str, Any]) -> None:
        """Add the EXTRA_INPUT of `op` to the request arguments `out`."""
        for part, values in EXTRA_INPUT.get(op.get("operationId", ""), {}).items():
            for name, value in values.items():
                if isinstance(value, str) and value.startswith("@"):
                    value = await self.related_id(value[1:])
                elif isinstance(value, list):
                    value = [await self.related_id(v[1:]) for v in value]
                out.setdefault(part, {})[name] = value

    async def value(self, name: str, schema: dict[str, Any]) -> Any:
        """A plausible value for a required field."""
        schema = self.resolve(schema)
        kind = schema.get("type")
        if schema.get("enum"):
            return schema["enum"][0]
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return 1
        if kind == "object":
            return {}
        if kind == "array":
            item = await self.value(name[:-1] if name.endswith("s") else name,
                                    self.resolve(schema.get("items", {})))  # fmt: skip
            return [item]
        if name in GOOD_STRINGS:
            return GOOD_STRINGS[name]
        if name.endswith("_id") and name != "id":
            return await self.related_id(name[:-3])
        return f"spec-{name}-{next(self.counter)}"

    async def related_id(self, noun: str) -> str:
        project = await self.path("/projects/{project_id}")
        if noun in ("locale", "source_locale", "target_locale"):
            return (await self.c.get(f"{project}/locales")).json()[0]["id"]
        if noun in ("key", "child_key", "translation_key"):
            return (await self.c.get(f"{project}/keys")).json()[-1]["id"]
        if noun == "user":
            return (await self.c.get("/user")).json()["id"]
        if noun == "project":
            return project.rsplit("/", 1)[-1]
        lists = sorted((t for m, t in self.ops if m == "GET" and t.endswith(f"/{noun}s")), key=len)
        if lists:
            template = self.ops[("GET", lists[0])][0]
            return unquote((await self.path(template + "/{id}")).rsplit("/", 1)[-1])
        return f"{next(self.counter):032x}"
