"""Read the facts of the official `phrase-api` client: its operations and its models.

The package is parsed with `ast`, never imported or executed, so any installed release can be
read (the pinned one in tests, the latest one in `nox -s phrase_parity`). Only facts are taken:
method, path, parameters with their wire names, locations, types and required flags, the request
body's model, the response type, and each model's fields, wire names, required flags and enums.
No description or other prose is kept.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "OfficialField",
    "OfficialModel",
    "OfficialOperation",
    "OfficialParam",
    "official_models",
    "official_operations",
    "official_version",
    "route_key",
]


@dataclass(frozen=True)
class OfficialParam:
    """One parameter of an official method: its Python name, wire name, location and type."""

    name: str
    wire: str
    where: str  # path | query | header | form | file | body
    type: str  # the client's own type string: str, int, bool, List[str], a model name ...
    required: bool
    multi: bool = False  # sent as a repeated query key


@dataclass(frozen=True)
class OfficialOperation:
    """One operation of the official client, named by its module and method."""

    module: str
    method_name: str
    method: str
    path: str
    params: tuple[OfficialParam, ...]
    response_type: str | None
    content_type: str | None

    @property
    def source(self) -> str:
        """`module.method`, the way the extra index cites it."""
        return f"{self.module}.{self.method_name}"


@dataclass(frozen=True)
class OfficialField:
    """One field of an official model."""

    name: str
    wire: str
    type: str
    required: bool
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfficialModel:
    """One model class of the official client: its module (snake name) and fields."""

    module: str
    class_name: str
    fields: tuple[OfficialField, ...] = field(default_factory=tuple)


def package_dir() -> Path:
    """Where the installed `phrase_api` package lives (without importing it)."""
    spec = importlib.util.find_spec("phrase_api")
    if spec is None or spec.origin is None:
        raise RuntimeError("phrase-api is not installed (pip install phrase-api)")
    return Path(spec.origin).parent


def official_version() -> str:
    """The installed phrase-api release."""
    return importlib.metadata.version("phrase-api")


def route_key(method: str, path: str) -> tuple[str, str]:
    """(METHOD, path with every variable blanked): two clients name path variables differently."""
    return method.upper(), re.sub(r"{[^}]+}", "{}", path)


def _subscript(node: ast.expr) -> tuple[str, str] | None:
    """`local_var_params['x']` -> ('local_var_params', 'x')."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return node.value.id, key.value
    return None


def _doc_types(fn: ast.FunctionDef) -> dict[str, str]:
    """Parameter types as the docstring's `:param TYPE name:` lines state them."""
    doc = ast.get_docstring(fn) or ""
    return {m[1]: m[0] for m in re.findall(r":param ([\w\[\], ()]+?) (\w+):", doc)}


def _operation(module: str, fn: ast.FunctionDef) -> OfficialOperation:
    types = _doc_types(fn)
    positional = {a.arg for a in fn.args.args if a.arg != "self"}
    where: dict[str, tuple[str, str]] = {}  # python name -> (location, wire)
    multi: set[str] = set()
    path = method = ""
    response_type: str | None = None
    content_type: str | None = None
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = _subscript(node.targets[0]), _subscript(node.value)
            if target and value and value[0] == "local_var_params":
                location = {
                    "path_params": "path",
                    "header_params": "header",
                    "local_var_files": "file",
                }.get(target[0])
                if location:
                    where[value[1]] = (location, target[1])
            if target and target[0] == "collection_formats":
                multi.add(target[1])
            if (
                isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "body_params"
                and value
            ):
                where[value[1]] = ("body", "")
            if target == ("header_params", "Content-Type") and isinstance(node.value, ast.Call):
                arg = node.value.args[0] if node.value.args else None
                if isinstance(arg, ast.List) and arg.elts:
                    first = arg.elts[0]
                    if isinstance(first, ast.Constant):
                        content_type = str(first.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr == "append" and isinstance(node.func.value, ast.Name) and node.args:
                pair = node.args[0]
                if isinstance(pair, ast.Tuple) and len(pair.elts) == 2:
                    wire, value = pair.elts
                    source = _subscript(value)
                    if isinstance(wire, ast.Constant) and source:
                        location = {"query_params": "query", "form_params": "form"}.get(
                            node.func.value.id
                        )
                        if location:
                            where[source[1]] = (location, str(wire.value))
            if attr == "call_api":
                path = str(ast.literal_eval(node.args[0]))
                method = str(ast.literal_eval(node.args[1]))
                for kw in node.keywords:
                    if kw.arg == "response_type":
                        response_type = ast.literal_eval(kw.value)
    params = []
    for name, (location, wire) in where.items():
        params.append(
            OfficialParam(
                name=name,
                wire=wire,
                where=location,
                type=types.get(name, "str"),
                required=name in positional,
                multi=wire in multi,
            )
        )
    return OfficialOperation(
        module=module,
        method_name=fn.name.removesuffix("_with_http_info"),
        method=method.upper(),
        path=path,
        params=tuple(params),
        response_type=response_type,
        content_type=content_type,
    )


def official_operations(root: Path | None = None) -> list[OfficialOperation]:
    """Every operation of the installed official client, sorted by module then method name."""
    api = (root or package_dir()) / "api"
    out: list[OfficialOperation] = []
    for file in sorted(api.glob("*_api.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_with_http_info"):
                out.append(_operation(file.stem, node))
    return sorted(out, key=lambda op: (op.module, op.method_name))


def _class_dict(cls: ast.ClassDef, name: str) -> dict[str, str]:
    for node in cls.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
    return {}


def _setter_facts(cls: ast.ClassDef) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """(fields whose setter refuses None, field -> allowed values) from the property setters."""
    required: set[str] = set()
    enums: dict[str, tuple[str, ...]] = {}
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef) or len(node.args.args) != 2:
            continue
        setters = [d for d in node.decorator_list if isinstance(d, ast.Attribute)]
        if not any(d.attr == "setter" for d in setters):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                if "must not be `None`" in inner.value:
                    required.add(node.name)
            if (
                isinstance(inner, ast.Assign)
                and isinstance(inner.targets[0], ast.Name)
                and inner.targets[0].id == "allowed_values"
            ):
                enums[node.name] = tuple(str(v) for v in ast.literal_eval(inner.value))
    return required, enums


def official_models(root: Path | None = None) -> dict[str, OfficialModel]:
    """Every model of the installed official client, by class name."""
    models = (root or package_dir()) / "models"
    out: dict[str, OfficialModel] = {}
    for file in sorted(models.glob("*.py")):
        if file.name == "__init__.py":
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            types = _class_dict(cls, "openapi_types")
            wires = _class_dict(cls, "attribute_map")
            required, enums = _setter_facts(cls)
            fields = tuple(
                OfficialField(
                    name=name,
                    wire=wires.get(name, name),
                    type=typ,
                    required=name in required,
                    enum=enums.get(name, ()),
                )
                for name, typ in types.items()
            )
            out[cls.name] = OfficialModel(module=file.stem, class_name=cls.name, fields=fields)
    return out
