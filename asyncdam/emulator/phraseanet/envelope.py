"""The meta/response envelope, content negotiation (JSON, YAML, JSONP), bare OAuth replies."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from starlette.responses import Response

ERROR_TYPES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Unacceptable",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Temporarily Unavailable",
}

ERROR_MESSAGES: dict[int, str] = {
    400: "Parameter is invalid or missing",
    401: "The OAuth token was provided but was invalid.",
    403: "Access to the requested ressource is forbidden",
    404: "Requested ressource is not found",
    405: "Attempting to use POST with a GET-only function, or vice-versa",
    406: "Request content type is not acceptable",
    422: "Request content is unprocessable",
    429: "Too many requests",
    500: "Internal Server Error",
    503: "Service Temporarily Unavailable",
}

EXTENDED_TYPES = (
    "application/vnd.phraseanet.record-extended+json",
    "application/vnd.phraseanet.record-extended+yaml",
    "application/vnd.phraseanet.record-extended+jsonp",
)
_ACCEPTABLE = (
    "*/*",
    "application/*",
    "application/json",
    "application/yaml",
    "text/yaml",
    "text/*",
    "text/javascript",
    "application/javascript",
    *EXTENDED_TYPES,
)


class ApiError(Exception):
    """Raised by handlers to answer with an enveloped error (`details` goes to error_details)."""

    def __init__(self, status: int, details: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.details = details


def atom_now() -> str:
    """PHP DATE_ATOM of the current time in the server's offset, no fraction."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def api_version_for(path: str) -> str:
    """The version string the server reports for a path before a handler picked one."""
    return "3.0.0" if path.startswith("/api/v3") else "2.0.0"


def accept_ok(accept: str | None) -> bool:
    """Whether the Accept header names something the API can produce (absent = anything)."""
    if not accept or not accept.strip():
        return True
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in _ACCEPTABLE:
            return True
    return False


def wants_yaml(accept: str | None) -> bool:
    """Whether the client asked for YAML before JSON."""
    if not accept:
        return False
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in ("application/json", "*/*", "application/*") or media.endswith("+json"):
            return False
        if media in ("application/yaml", "text/yaml") or media.endswith("+yaml"):
            return True
    return False


def is_extended(accept: str | None) -> bool:
    """Whether the vendor 'record-extended' media type was asked for."""
    return bool(accept) and "vnd.phraseanet.record-extended" in (accept or "").lower()


def envelope(
    method: str, path: str, status: int, response: Any, version: str, details: str | None = None
) -> dict[str, Any]:
    """The full meta/response document for one reply."""
    ok = status < 400
    return {
        "meta": {
            "api_version": version,
            "request": f"{method} {path}",
            "response_time": atom_now(),
            "http_code": status,
            "error_type": None if ok else ERROR_TYPES.get(status, "Internal Server Error"),
            "error_message": None if ok else ERROR_MESSAGES.get(status),
            "error_details": None if ok else details,
            "charset": "UTF-8",
        },
        "response": response if response not in (None, [], {}) else {},
    }


def _dumps(doc: Any) -> bytes:
    # Symfony escapes slashes and non-ASCII; clients must parse rather than byte-compare anyway.
    return json.dumps(doc, separators=(",", ":")).replace("/", "\\/").encode()


def render(
    *,
    method: str,
    path: str,
    status: int,
    response: Any,
    version: str,
    started: float,
    accept: str | None,
    callback: str | None,
    details: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An enveloped reply in the negotiated format, with Server-Timing and X-Status-Code."""
    doc = envelope(method, path, status, response, version, details)
    out_headers = dict(headers or {})
    out_headers["Server-Timing"] = f"_global;dur={(time.perf_counter() - started) * 1000:.3f}"
    if status >= 400:
        out_headers["X-Status-Code"] = str(status)
    if callback:
        # JSONP hides the real status in meta.http_code; only a 500 keeps its status.
        body = b"/**/" + callback.encode() + b"(" + _dumps(doc) + b");"
        http = 500 if status == 500 else 200
        return Response(body, http, out_headers, media_type="text/javascript")
    if wants_yaml(accept):
        # JSON is a subset of YAML 1.2, so a YAML client reads this document unchanged.
        text = json.dumps(doc, indent=2).encode()
        return Response(text, status, out_headers, media_type="application/yaml")
    return Response(_dumps(doc), status, out_headers, media_type="application/json")


def oauth_json_error(code: str, status: int = 400) -> Response:
    """The library's bare `{"error": code}` reply (no envelope, no description)."""
    return Response(
        json.dumps({"error": code}).encode(),
        status,
        {"Cache-Control": "no-store"},
        media_type="application/json",
    )


def oauth_header_error(status: int, code: str) -> Response:
    """The library's empty-body reply carrying only a WWW-Authenticate header."""
    headers = {"WWW-Authenticate": f"OAuth realm='Service', error='{code}'"}
    return Response(b"", status, headers, media_type="text/html")
