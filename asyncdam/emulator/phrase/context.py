"""The request context and reply types every Phrase emulator module shares.

Kept apart from `web.py` so that the background-work module (`jobs_async.py`) and the helpers in
`web.py` can both import them without importing each other.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from asyncdam.emulator.phrase.store import Project, ProjectData, Store

JSON_TYPE = "application/json; charset=utf-8"


@attrs.define
class Reply:
    """An answer before the gate adds rate-limit and cache headers."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = attrs.field(factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with an error reply."""

    def __init__(self, reply: Reply) -> None:
        """Wrap the error reply."""
        super().__init__(reply.status)
        self.reply = reply


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def json_reply(obj: Any, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(status=status, body=dumps(obj))


def message(status: int, text: str) -> ApiError:
    """An error whose body is `{"message": text}`."""
    return ApiError(json_reply({"message": text}, status))


@attrs.define
class Ctx:
    """One request as the handlers see it."""

    method: str
    path: str
    params: dict[str, str]
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    origin: str
    base: str
    store: Store
    state: Any
    now: float
    user_id: str = ""
    scheme: str = ""
    data: ProjectData | None = None
    project: Project | None = None
    _json: dict[str, Any] | None = None

    def q(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter."""
        found = default
        for k, v in self.query:
            if k == name:
                found = v
        return found

    def json(self) -> dict[str, Any]:
        """The JSON body as an object (empty body = {}), or a 400 the way the service answers."""
        if self._json is None:
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    parsed = json.loads(self.body)
                except (ValueError, UnicodeDecodeError):
                    raise message(400, "JSON could not be parsed") from None
                if not isinstance(parsed, dict):
                    raise message(400, "JSON could not be parsed")
                self._json = parsed
        return self._json

    def args(self) -> dict[str, Any]:
        """Query parameters merged with the JSON body (the body wins), like Rails params."""
        out: dict[str, Any] = dict(self.query)
        out.update(self.json())
        return out
