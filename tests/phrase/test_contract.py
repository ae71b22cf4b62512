"""Contract test: every generated operation sends a request the spec index accepts.

Each of the 301 operations (the snapshot's 287 and the 14 taken from the official client) is called
once with every parameter it takes (files only where the index has a multipart body) against a
respx mock; the captured request is validated with openapi-core against the committed, merged
index (method, path, query, headers, body, content type) and its path is compared with the
template. Nothing outside the repo is read.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from typing import Any

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from asyncdam.engine.errors import DecodeError
from asyncdam.phrase import Phrase
from asyncdam.phrase._runtime import Op
from asyncdam.phrase.resources import RESOURCES

from .conftest import REPO, load_index

# openapi-core warns about deprecated parameters; the test sends every parameter on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SAMPLES: dict[str, Any] = {
    "str": "abc",
    "int": 2,
    "number": 1.5,
    "bool": True,
    "datetime": "2024-01-02T03:04:05Z",
    "list": ["a", "b"],
    "object": {"k": "v"},
}


def fixed_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its known path-parameter defects repaired the way the generator reads them."""
    spec = copy.deepcopy(spec)
    for path, item in spec["paths"].items():
        template = re.findall(r"{(\w+)}", path)
        for op in item.values():
            params = []
            declared = set()
            path_declared = {
                _resolve(spec, p)["name"]
                for p in op.get("parameters", [])
                if _resolve(spec, p)["in"] == "path"
            }
            for p in op.get("parameters", []):
                p = _resolve(spec, p)
                if p["in"] == "path" and p["name"] not in template:
                    if any(var not in path_declared for var in template):
                        continue  # misnamed twin of a template variable
                    p = {**p, "in": "query"}
                if p["in"] == "path":
                    declared.add(p["name"])
                params.append(p)
            for var in template:
                if var not in declared:
                    params.append(
                        {"in": "path", "name": var, "required": True, "schema": {"type": "string"}}
                    )
            op["parameters"] = params
            body = op.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            if body:
                _multipart_as_text(body["schema"])
    return spec


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].split("/")[1:]:
            target = target[part]
        node = target
    return node


def _multipart_as_text(schema: dict[str, Any]) -> None:
    """Multipart parts are text on the wire: booleans travel as `true`/`false`."""
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "boolean":
            prop.clear()
            prop.update({"type": "string", "enum": ["true", "false"]})


class OpenAPIRequest:
    """An httpx request seen through openapi-core's request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = request.headers.get("content-type", "")
        self.body = request.content or None


def operations() -> list[tuple[str, str, Op]]:
    out = []
    for attr, cls in RESOURCES.items():
        module = __import__(cls.__module__, fromlist=["OPERATIONS"])
        for name, op in module.OPERATIONS.items():
            out.append((attr, name, op))
    return out


def sample_args(op: Op) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    path_values: dict[str, str] = {}
    for p in op.params:
        if p.where == "path":
            value = f"{p.wire}-1"
            positional.append(value)
            path_values[p.wire] = value
            continue
        if p.name in keywords:
            continue
        if p.kind == "file":
            if op.body == "multipart":
                keywords[p.name] = ("en.yml", b"en:\n  hello: Hello\n", "application/x-yaml")
            continue
        if op.op_id == "icu/skeleton" and p.name == "id":
            continue  # `content` and `id` are mutually exclusive
        if p.kind == "enum":
            keywords[p.name] = p.choices[0]
        elif p.kind == "list" and p.choices:
            keywords[p.name] = list(p.choices[:2])
        elif p.wire == "file_format":
            keywords[p.name] = "yml"
        elif p.name == "otp":
            keywords[p.name] = "123456"
        else:
            keywords[p.name] = SAMPLES[p.kind]
    return positional, keywords, path_values


def canned_response(method: Any) -> httpx.Response:
    ret = str(inspect.signature(method).return_annotation)
    if ret.startswith(("Paginator[", "builtins.list[")):
        return httpx.Response(200, json=[])
    if ret == "None":
        return httpx.Response(204)
    if ret == "bytes":
        return httpx.Response(200, content=b"\xff\xfe binary")
    return httpx.Response(200, json={})


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    # Skip validating the (large, official) spec document itself: it is input, not under test.
    config = Config(spec_validator_cls=None)
    spec = fixed_spec(load_index())
    spec["info"] = {"title": "Phrase Strings (facts index)", "version": spec["info"]["version"]}
    return OpenAPI.from_dict(spec, config=config)


def _index_ids(spec: dict[str, Any]) -> set[str]:
    return {
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if method != "parameters"
    }


def test_every_spec_operation_is_generated() -> None:
    generated = [op.op_id for _, _, op in operations()]
    assert len(generated) == len(set(generated)) == 301
    assert set(generated) == _index_ids(load_index())


def test_the_extra_operations_are_generated() -> None:
    """The 14 operations the snapshot lacks are generated like the others, with the same routes."""
    extra = json.loads((REPO / "asyncdam" / "_spec" / "phrase_extra.json").read_text("utf-8"))
    wanted = {
        (method.upper(), path, op["operationId"])
        for path, item in extra["paths"].items()
        for method, op in item.items()
    }
    generated = {(op.method, op.path, op.op_id) for _, _, op in operations()}
    assert len(wanted) == 14
    assert wanted <= generated


async def test_every_operation_against_the_spec(
    phrase: Phrase, mock: Any, openapi: OpenAPI
) -> None:
    route = mock.route()
    failures: list[str] = []
    for attr, name, op in operations():
        method = getattr(getattr(phrase, attr), name)
        route.side_effect = None
        route.return_value = canned_response(method)
        positional, keywords, path_values = sample_args(op)
        result = method(*positional, **keywords)
        if inspect.isawaitable(result):
            await result
        else:
            [item async for item in result]
        request = route.calls.last.request
        expected_path = "/v2" + op.path.format(**path_values)
        try:
            assert request.method == op.method, f"method {request.method}"
            assert request.url.path == expected_path, f"path {request.url.path}"
            if op.body == "json":
                assert request.headers["content-type"] == "application/json"
            if op.body == "multipart":
                assert request.headers["content-type"].startswith("multipart/form-data")
            openapi.validate_request(OpenAPIRequest(request))
        except Exception as exc:  # collect all, report together
            failures.append(f"{op.op_id}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
    assert route.call_count == 301


async def test_a_free_form_object_answer_is_a_checked_dict(phrase: Phrase, mock: Any) -> None:
    """`languages/list` answers a code -> name object: a plain dict, its values checked."""
    route = mock.get("/languages")
    route.return_value = httpx.Response(200, json={"de": "German", "fr": "French"})
    assert await phrase.supported_languages.list() == {"de": "German", "fr": "French"}
    for body in ([{"de": "German"}], {"de": 1}):
        route.return_value = httpx.Response(200, json=body)
        with pytest.raises(DecodeError, match="JSON object of str values"):
            await phrase.supported_languages.list()
