"""Envelope unwrapping and the mapping of every Phraseanet failure shape onto the error tree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from asyncdam.engine.errors import (
    APIStatusError,
    BadRequest,
    DecodeError,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.phraseanet import (
    InvalidToken,
    OAuthRequestError,
    PermissionDenied,
    Phraseanet,
    error_meta,
)

BASE = "https://dam.example.org"
URL = BASE + "/api/v1/records/1/42/"
TYPES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
}


def error_env(code: int, details: str | None) -> dict[str, Any]:
    return {
        "meta": {
            "api_version": "2.0.0",
            "request": "GET /api/v1/records/1/42/",
            "response_time": "2024-05-02T14:03:11+02:00",
            "http_code": code,
            "error_type": TYPES[code],
            "error_message": "generic text",
            "error_details": details,
            "charset": "UTF-8",
        },
        "response": {},
    }


@pytest.fixture
async def pn() -> Any:
    async with Engine(retry=RetryPolicy(max_attempts=1)) as engine:
        async with Phraseanet(BASE, token="s3cr3t", engine=engine) as client:
            yield client


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequest),
        (403, Forbidden),
        (404, NotFound),
        (405, MethodNotAllowed),
        (422, ValidationFailed),
        (500, ServerError),
    ],
)
@respx.mock
async def test_enveloped_errors_map_by_code(pn: Phraseanet, code: int, cls: type) -> None:
    respx.get(URL).respond(code, json=error_env(code, "Databox `9` not found"))
    with pytest.raises(cls) as info:
        await pn.records.get(1, 42)
    err = info.value
    assert isinstance(err, APIStatusError) and err.status == code
    assert "Databox `9` not found" in str(err)
    meta = error_meta(err)
    assert meta is not None and meta.http_code == code
    assert meta.error_type == TYPES[code] and meta.error_details == "Databox `9` not found"
    assert meta.api_version == "2.0.0"
    assert vars(err)["error_details"] == "Databox `9` not found"
    assert not isinstance(err, Unauthorized)


@respx.mock
async def test_enveloped_401_is_permission_denied(pn: Phraseanet) -> None:
    respx.get(URL).respond(401, json=error_env(401, "You are not authorized"))
    with pytest.raises(PermissionDenied) as info:
        await pn.records.get(1, 42)
    assert isinstance(info.value, Unauthorized) and not isinstance(info.value, InvalidToken)
    meta = error_meta(info.value)
    assert meta is not None and meta.error_details == "You are not authorized"


@respx.mock
async def test_empty_401_is_invalid_token(pn: Phraseanet) -> None:
    respx.get(URL).respond(
        401,
        content=b"",
        headers={"WWW-Authenticate": "OAuth realm='Service', error='invalid_token'"},
    )
    with pytest.raises(InvalidToken) as info:
        await pn.records.get(1, 42)
    assert info.value.oauth_error == "invalid_token"
    assert isinstance(info.value, Unauthorized) and not isinstance(info.value, PermissionDenied)
    assert "s3cr3t" not in str(info.value) and "s3cr3t" not in repr(info.value.headers)


@respx.mock
async def test_missing_token_400_and_bare_oauth_error(pn: Phraseanet) -> None:
    respx.get(URL).respond(
        400,
        content=b"",
        headers={"WWW-Authenticate": "OAuth realm='Service', error='invalid_request'"},
    )
    with pytest.raises(OAuthRequestError) as info:
        await pn.records.get(1, 42)
    assert info.value.oauth_error == "invalid_request"
    respx.get(URL).respond(
        400, json={"error": "invalid_request"}, headers={"Cache-Control": "no-store"}
    )
    with pytest.raises(OAuthRequestError) as info:
        await pn.records.get(1, 42)
    assert info.value.oauth_error == "invalid_request" and error_meta(info.value) is None


@respx.mock
async def test_success_status_with_error_meta_still_raises(pn: Phraseanet) -> None:
    # JSONP mode (or a proxy) can hide the real code in meta.http_code.
    respx.get(URL).respond(200, json=error_env(404, "Record 42 not found"))
    with pytest.raises(NotFound) as info:
        await pn.records.get(1, 42)
    assert info.value.status == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"record": {"databox_id": 1}}',
        b"<html>hello</html>",
        b"",
        b'{"meta": "x", "response": {}}',
    ],
)
@respx.mock
async def test_success_without_envelope_is_decode_error(pn: Phraseanet, body: bytes) -> None:
    respx.get(URL).respond(200, content=body, headers={"Content-Type": "application/json"})
    with pytest.raises(DecodeError):
        await pn.records.get(1, 42)


@respx.mock
async def test_envelope_missing_the_expected_key_is_decode_error(pn: Phraseanet) -> None:
    ok = error_env(404, None)
    ok["meta"].update(http_code=200, error_type=None, error_message=None)
    respx.get(URL).respond(200, json=ok)
    with pytest.raises(DecodeError, match=r"response\.record"):
        await pn.records.get(1, 42)


@respx.mock
async def test_html_500_is_server_error_and_retried_for_reads() -> None:
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(500, content=b"<b>Fatal error</b>"),
            httpx.Response(
                200,
                json={
                    **error_env(404, None),
                    "meta": {"http_code": 200},
                    "response": {"record": {"databox_id": 1, "record_id": 42}},
                },
            ),
        ]
    )

    class NoSleep:
        def now(self) -> float:
            return 1_700_000_000.0

        def monotonic(self) -> float:
            return 0.0

        async def sleep(self, seconds: float) -> None:
            return None

    async with Engine(retry=RetryPolicy(max_attempts=2), clock=NoSleep()) as engine:
        async with Phraseanet(BASE, token="t", engine=engine) as pn:
            record = await pn.records.get(1, 42)
    assert record.key == (1, 42) and route.call_count == 2
    async with Engine(retry=RetryPolicy(max_attempts=1)) as engine:
        respx.get(URL).respond(500, content=b"<b>Fatal error</b>")
        async with Phraseanet(BASE, token="t", engine=engine) as pn:
            with pytest.raises(ServerError):
                await pn.records.get(1, 42)


@respx.mock
async def test_token_endpoint_errors() -> None:
    from asyncdam.phraseanet import PasswordGrant, password_grant

    respx.post(BASE + "/api/oauthv2/token").respond(400, json={"error": "invalid_grant"})
    grant = PasswordGrant(client_id="app", username="u", password="bad")
    with pytest.raises(OAuthRequestError) as info:
        await password_grant(BASE, grant)
    assert info.value.oauth_error == "invalid_grant"
    assert "bad" not in str(info.value)
    respx.post(BASE + "/api/oauthv2/token").respond(
        400, json={"msg": "This route requires the use of the https scheme: 1", "code": 400}
    )
    with pytest.raises(BadRequest, match="https scheme"):
        await password_grant(BASE, grant)
