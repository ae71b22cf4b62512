"""What a route handler receives: the request, parsed parameters, the store and a serializer."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.params import PhpValue
from asyncdam.emulator.phraseanet.serialize import View
from asyncdam.emulator.phraseanet.store import Store


@dataclass
class Ctx:
    """Per-request state handed to a handler."""

    request: Request
    path_params: dict[str, str]
    query: dict[str, PhpValue]
    body: dict[str, PhpValue]
    files: dict[str, list[UploadFile]]
    store: Store
    view: View
    settings: Any
    raw_body: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, PhpValue]:
        """Query then form body, the way v1 reads `$request->get()`."""
        out = dict(self.body)
        out.update(self.query)
        return out

    def int_param(self, name: str) -> int:
        """A numeric path parameter (the router guarantees digits)."""
        return int(self.path_params[name])

    def json_body(self, require_type: bool = False) -> Any:
        """The decoded JSON body: 406 on a wrong content type if required, 422 if undecodable."""
        ctype = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if require_type and ctype != "application/json":
            raise ApiError(406, "Content-Type must be application/json")
        raw = self.raw_body
        if ctype.startswith("multipart/"):
            field = self.body.get("body")
            raw = field.encode() if isinstance(field, str) else b""
        try:
            return json.loads(raw) if raw.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(422, "Json request cannot be decoded") from exc


Result = Any  # a JSON-able response value, or a starlette Response passed through as is
Handler = Callable[[Ctx], Awaitable[Result]]


def passthrough(result: Result) -> Response | None:
    """A handler result that is already an HTTP response (file bytes, redirects)."""
    return result if isinstance(result, Response) else None
