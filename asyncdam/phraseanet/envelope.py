"""The `meta`/`response` envelope every Phraseanet API reply wraps its data in."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import attrs

from asyncdam.engine.errors import DecodeError
from asyncdam.engine.request import Response

__all__ = ["Envelope", "parse_envelope", "payload", "payload_dict"]

# A page of search results is parsed by the dialect's check, the total reader and the decoder;
# remembering the last few parses by body identity saves two of the three.
_MEMO: OrderedDict[int, tuple[bytes, Any]] = OrderedDict()
_MEMO_SIZE = 8


@attrs.frozen
class Envelope:
    """A parsed reply: the `meta` block and the `response` value."""

    meta: dict[str, Any]
    response: Any

    @property
    def http_code(self) -> int | None:
        """`meta.http_code` as an int (the real status, also in JSONP mode)."""
        code = self.meta.get("http_code")
        if isinstance(code, int) and not isinstance(code, bool):
            return code
        if isinstance(code, str) and code.isdigit():
            return int(code)
        return None


def parse_json(response: Response) -> Any:
    """The JSON body (memoised by body identity); `DecodeError` when it is not JSON."""
    content = response.content
    hit = _MEMO.get(id(content))
    if hit is not None and hit[0] is content:
        return hit[1]
    doc = response.json()
    _MEMO[id(content)] = (content, doc)
    if len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return doc


def as_envelope(doc: Any) -> Envelope | None:
    """The envelope in a parsed body, or None when the body has none."""
    if isinstance(doc, dict) and isinstance(doc.get("meta"), dict) and "response" in doc:
        return Envelope(meta=doc["meta"], response=doc["response"])
    return None


def parse_envelope(response: Response) -> Envelope:
    """The envelope of a reply; `DecodeError` when the body is not JSON or not enveloped."""
    try:
        doc = parse_json(response)
    except DecodeError:
        raise
    except (ValueError, json.JSONDecodeError) as exc:  # pragma: no cover - json() wraps these
        raise DecodeError(str(exc), method=response.method, url=response.url) from None
    env = as_envelope(doc)
    if env is None:
        raise DecodeError(
            "reply has no meta/response envelope",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return env


def payload(response: Response) -> Any:
    """The unwrapped `response` value."""
    return parse_envelope(response).response


def payload_dict(response: Response) -> dict[str, Any]:
    """The unwrapped `response`, which must be an object (`[]` from PHP counts as empty)."""
    value = payload(response)
    if isinstance(value, dict):
        return value
    if value == []:
        return {}
    raise DecodeError(
        f"expected an object in 'response', got {type(value).__name__}",
        method=response.method,
        url=response.url,
        body=response.content,
    )


def field(response: Response, key: str) -> Any:
    """One key of the unwrapped response object; `DecodeError` when absent."""
    data = payload_dict(response)
    if key not in data:
        raise DecodeError(
            f"reply lacks 'response.{key}'",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return data[key]
