"""Request building for generated Phrase operations: validation, encoding, decoding.

Generated resource methods describe each operation with an `Op` (method, path, parameter specs)
and hand their arguments here. Everything is checked before a `Request` exists, so bad input
raises `InvalidRequestError` and nothing is sent.
"""

from __future__ import annotations

import datetime as _dt
import io
import mimetypes
import os
from collections.abc import Mapping, Sequence
from typing import IO, Any, TypeVar

import attrs

from asyncdam.decoding import DEFAULT_ON_INVALID, DecodedItems, OnInvalid
from asyncdam.engine.errors import DecodeError, InvalidRequestError
from asyncdam.engine.request import Request, Response
from asyncdam.phrase.converter import decoder
from asyncdam.phrase.formats import check_file_format

T = TypeVar("T")

FileInput = (
    bytes
    | os.PathLike[str]
    | IO[bytes]
    | tuple[str, bytes | IO[bytes]]
    | tuple[str, bytes | IO[bytes], str]
)
"""A file to upload: bytes, a path, a binary file object, or (filename, content[, mime])."""

_KINDS = frozenset(
    {"str", "int", "number", "bool", "datetime", "list", "object", "enum", "file", "any"}
)


@attrs.frozen
class P:
    """One parameter of an operation: Python name, wire name, where it goes and its kind."""

    name: str
    wire: str
    where: str  # path | query | header | body
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")


@attrs.frozen
class Op:
    """One operation of the spec, as the generator saw it."""

    op_id: str
    method: str
    path: str
    params: tuple[P, ...] = ()
    body: str | None = None  # json | multipart | None
    paged: str | None = None  # query | body | None
    idempotent: bool | None = None
    accept: str | None = None


def _check(op: Op, p: P, value: Any) -> Any:
    """Validate one value against its spec; return it normalised for the wire."""
    where = f"{op.op_id}: parameter {p.name!r}"
    kind = p.kind
    if kind == "str":
        if not isinstance(value, str):
            raise InvalidRequestError(f"{where} must be a string, got {type(value).__name__}")
        if p.wire == "file_format" and p.where != "path":
            check_file_format(value)
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequestError(f"{where} must be an integer, got {type(value).__name__}")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidRequestError(f"{where} must be a number, got {type(value).__name__}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidRequestError(f"{where} must be True or False, got {type(value).__name__}")
        return value
    if kind == "datetime":
        if isinstance(value, _dt.datetime):
            return value.isoformat()
        if isinstance(value, str):
            return value
        raise InvalidRequestError(f"{where} must be a datetime or ISO 8601 string")
    if kind == "enum":
        if value not in p.choices:
            raise InvalidRequestError(
                f"{where} must be one of {', '.join(p.choices)}, got {value!r}"
            )
        return value
    if kind == "list":
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise InvalidRequestError(
                f"{where} must be a list of strings, not {type(value).__name__}"
            )
        for item in value:
            if not isinstance(item, str):
                raise InvalidRequestError(f"{where} must contain only strings, got {item!r}")
            if p.choices and item not in p.choices:
                raise InvalidRequestError(f"{where}: {item!r} is not one of {', '.join(p.choices)}")
        return list(value)
    if kind == "object":
        if not isinstance(value, Mapping):
            raise InvalidRequestError(f"{where} must be a mapping, got {type(value).__name__}")
        return dict(value)
    if kind == "file":
        return _file_part(where, value)
    return value


def _file_part(where: str, value: Any) -> tuple[str, Any, str]:
    """A (filename, content, mime) triple from the forms `FileInput` allows."""
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not isinstance(value[0], str):
            raise InvalidRequestError(f"{where}: a file tuple is (filename, content[, mime type])")
        name, content = value[0], value[1]
        mime = value[2] if len(value) == 3 else _guess(name)
        if not isinstance(content, bytes | io.IOBase) and not hasattr(content, "read"):
            raise InvalidRequestError(f"{where}: file content must be bytes or a binary file")
        return name, content, mime
    if isinstance(value, bytes):
        return "upload", value, "application/octet-stream"
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise InvalidRequestError(f"{where}: cannot read {path!r}: {exc.strerror}") from None
        name = os.path.basename(path)
        return name, data, _guess(name)
    if isinstance(value, str):
        raise InvalidRequestError(f"{where}: pass a pathlib.Path or bytes, not a str")
    if hasattr(value, "read"):
        name = os.path.basename(str(getattr(value, "name", "upload")))
        return name, value, _guess(name)
    raise InvalidRequestError(f"{where}: unsupported file value of type {type(value).__name__}")


def _guess(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _wire_scalar(value: Any) -> str:
    """Query and form values: booleans lowercase, numbers plain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def flatten(name: str, value: Any) -> list[tuple[str, str]]:
    """deepObject encoding: `name[k]=v`, nested `name[a][b]=v`, lists repeat the key."""
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out.extend(flatten(f"{name}[{k}]", v))
        return out
    if isinstance(value, list | tuple):
        return [(name, _wire_scalar(v)) for v in value]
    return [(name, _wire_scalar(value))]


def _json_ready(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def build_request(op: Op, args: Mapping[str, Any], *, otp: str | None = None) -> Request:
    """Validate `args` against `op` and build the engine `Request`; nothing is sent here."""
    path: dict[str, object] = {}
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    files: list[tuple[str, tuple[str, Any, str]]] = []
    known = {p.name for p in op.params}
    unknown = set(args) - known
    if unknown:
        raise InvalidRequestError(f"{op.op_id}: unknown parameter(s) {', '.join(sorted(unknown))}")
    for p in op.params:
        value = args.get(p.name)
        if value is None:
            if p.required:
                raise InvalidRequestError(f"{op.op_id}: missing required parameter {p.name!r}")
            continue
        value = _check(op, p, value)
        if p.where == "path":
            path[p.wire] = value
        elif p.where == "query":
            query.extend(flatten(p.wire, value))
        elif p.where == "header":
            headers[p.wire] = _wire_scalar(value)
        elif p.kind == "file":
            files.append((p.wire, value))
        else:
            body[p.wire] = value
    if op.accept is not None:
        headers["Accept"] = op.accept
    if otp is not None and "X-PhraseApp-OTP" not in headers:
        headers["X-PhraseApp-OTP"] = otp
    json_body: Any = None
    data: list[tuple[str, str]] | None = None
    multipart = op.body == "multipart" or bool(files)
    if multipart:
        data = []
        for k, v in body.items():
            data.extend(flatten(k, v))
    elif op.body == "json":
        json_body = _json_ready(body)
    request = Request(
        method=op.method,
        path=op.path,
        path_params=path,
        query=query,
        headers=headers,
        json=json_body,
        data=data,
        files=[(k, v) for k, v in files] if multipart else None,
        idempotent=op.idempotent,
    )
    request.rendered_path()  # refuse bad ids (empty, dot segments) now, not at send time
    return request


def decode_one(response: Response, cls: type[T]) -> T:
    """Structure a JSON object body into a model."""
    body = response.json()
    if type(body) is not dict:
        raise DecodeError(
            f"expected a JSON object, got {type(body).__name__}",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return decoder.structure(body, cls)


def decode_many(
    response: Response, cls: type[T], on_invalid: OnInvalid = DEFAULT_ON_INVALID
) -> DecodedItems[T]:
    """Structure a JSON array body into models (an empty body is an empty list).

    An item that is not an object or has no `id` is isolated by `on_invalid`; the caller
    reports it (`await items.finish_page(page)`, which the paginator does).
    """
    content = response.content
    if not content or content.isspace():  # no copy of a large body just to test it
        return DecodedItems(on_invalid=on_invalid, source_count=0)
    body = response.json()
    if type(body) is not list:
        raise DecodeError(
            f"expected a JSON array, got {type(body).__name__}",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return decoder.items(body, cls, on_invalid=on_invalid)
