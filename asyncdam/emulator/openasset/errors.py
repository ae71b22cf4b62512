"""OpenAsset error answers: `{"error_message", "http_status_code": "<string>"}` or an HTML page."""

from __future__ import annotations

import html
import json
from typing import Any

from starlette.responses import Response

HTML_TITLE = "OpenAsset - Something went wrong!"


class ApiError(Exception):
    """Raised by handlers; turned into the service's error body by `error_response`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_entry(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """An error object as it appears alone or inside a bulk result array."""
    return {"error_message": message, "http_status_code": str(status), **extra}


def html_page(status: int, message: str) -> bytes:
    """The proxy-style HTML page OpenAsset's nginx front answers with."""
    return (
        "<!DOCTYPE html>\n<html><head><title>"
        f"{HTML_TITLE}</title></head><body><h1>{HTML_TITLE}</h1>"
        f"<p>{status}: {html.escape(message)}</p></body></html>\n"
    ).encode()


def error_response(
    status: int, message: str, *, as_html: bool = False, headers: dict[str, str] | None = None
) -> Response:
    """A complete error response in JSON, or in HTML when the server is in HTML mode."""
    if as_html:
        return Response(html_page(status, message), status, headers, "text/html; charset=utf-8")
    body = json.dumps(error_entry(status, message)).encode()
    return Response(body, status, headers, "application/json; charset=utf-8")
