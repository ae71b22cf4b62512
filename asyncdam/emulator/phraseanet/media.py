"""Subdefinition files: signed `/medias/<jwt>` URLs, permalinks, and the bytes they serve."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from asyncdam.emulator.phraseanet.store import Record, Store

SUBDEFS: dict[str, tuple[int, str, list[str]]] = {
    # name -> (bytes served, class, devices)
    "document": (24_576, "document", ["all"]),
    "preview": (8_192, "preview", ["screen"]),
    "thumbnail": (2_048, "thumbnail", ["screen"]),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(secret: bytes, claims: dict[str, Any]) -> str:
    """An HS256 JWT over `claims`."""
    head = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def verify_jwt(secret: bytes, token: str, now: float) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token, else None."""
    try:
        head, body, sig = token.split(".")
        expected = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        claims: dict[str, Any] = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None
    if "exp" in claims and float(claims["exp"]) < now:
        return None
    return claims


def permalink_token(secret: bytes, databox_id: int, record_id: int, name: str) -> str:
    """The stable token of a subdef permalink."""
    msg = f"{databox_id}:{record_id}:{name}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:32]


def file_bytes(store: Store, rec: Record, name: str) -> bytes:
    """Deterministic content of one subdef (uploaded documents serve what was uploaded)."""
    substitute = store.substituted.get((rec.databox_id, rec.record_id, name))
    if substitute is not None:
        return substitute
    if name == "document" and rec.key in store.uploads:
        return store.uploads[rec.key]
    size = SUBDEFS[name][0]
    seed = hashlib.sha256(f"{store.instance}:{rec.databox_id}:{rec.record_id}:{name}".encode())
    block = seed.digest()
    return (block * (size // len(block) + 1))[:size]


def _file_response(request: Request, data: bytes, mime: str, filename: str) -> Response:
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(b"", 304, {"ETag": etag})
    headers = {"ETag": etag}
    if request.query_params.get("download") is not None:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(data, 200, headers, media_type=mime)


def _mime_for(rec: Record, name: str) -> str:
    return rec.mime_type if name == "document" and rec.mime_type else "image/jpeg"


def serve_media(request: Request, store: Store, secret: bytes, token: str) -> Response:
    """GET /medias/{jwt}: the subdef bytes, 403 on a bad or expired token."""
    claims = verify_jwt(secret, token, time.time())
    if claims is None:
        return Response(b"Forbidden", 403, media_type="text/plain")
    sdef = claims.get("sdef")
    if not isinstance(sdef, list) or len(sdef) != 3:
        return Response(b"Forbidden", 403, media_type="text/plain")
    rec = store.records.get((int(sdef[0]), int(sdef[1])))
    if rec is None or sdef[2] not in SUBDEFS:
        return Response(b"Not Found", 404, media_type="text/plain")
    data = file_bytes(store, rec, sdef[2])
    return _file_response(request, data, _mime_for(rec, sdef[2]), rec.original_name)


def serve_permalink(
    request: Request, store: Store, secret: bytes, d: int, r: int, name: str
) -> Response:
    """GET /permalink/v1/{d}/{r}/{subdef}/[label.ext]?token=T: bytes when the token matches."""
    rec = store.records.get((d, r))
    if rec is None or name not in SUBDEFS:
        return Response(b"Not Found", 404, media_type="text/plain")
    given = request.query_params.get("token", "")
    if not hmac.compare_digest(given, permalink_token(secret, d, r, name)):
        return Response(b"Forbidden", 403, media_type="text/plain")
    data = file_bytes(store, rec, name)
    return _file_response(request, data, _mime_for(rec, name), rec.original_name)
