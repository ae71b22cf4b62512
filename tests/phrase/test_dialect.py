"""Phrase error bodies, 429 kinds and quota scopes mapped by the dialect."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from asyncdam.engine.errors import (
    BadRequest,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from asyncdam.engine.request import Request, Response
from asyncdam.engine.types import Rate
from asyncdam.phrase import Phrase
from asyncdam.phrase.auth import make_auth
from asyncdam.phrase.dialect import make_dialect

from .conftest import TOKEN


def _response(status: int, content: bytes = b"", **headers: str) -> Response:
    return Response(
        status=status,
        headers=httpx.Headers(headers),
        content=content,
        method="GET",
        url="https://api.phrase.com/v2/projects",
    )


def _dialect(**kw: Any) -> Any:
    return make_dialect(auth=make_auth(token=TOKEN), **kw)


def test_defaults() -> None:
    d = _dialect()
    assert d.concurrency == 2
    assert d.initial_rate == Rate(500, 300)
    assert TOKEN not in d.credential_id
    assert len(d.credential_id) == 12


def test_validation_body_becomes_field_errors() -> None:
    body = (
        b'{"message":"Validation Failed","errors":[{"resource":"Key","field":"name",'
        b'"message":"has already been taken"}]}'
    )
    err = _dialect().error_for(_response(422, body), 0.0)
    assert isinstance(err, ValidationFailed)
    assert err.message == "Validation Failed"
    assert [(e.field, e.message) for e in err.field_errors] == [
        ("Key.name", "has already been taken")
    ]


def test_message_body_and_empty_401() -> None:
    d = _dialect()
    err = d.error_for(_response(400, b'{"message":"JSON could not be parsed"}'), 0.0)
    assert isinstance(err, BadRequest) and err.message == "JSON could not be parsed"
    err = d.error_for(_response(401), 0.0)
    assert isinstance(err, Unauthorized) and err.message == "Unauthorized"
    otp = d.error_for(_response(401, b"", **{"X-PhraseApp-OTP": "required; app"}), 0.0)
    assert isinstance(otp, Unauthorized) and "otp=" in otp.message and "app" in otp.message
    err = d.error_for(_response(404, b"Not Found"), 0.0)
    assert isinstance(err, NotFound)
    icu = d.error_for(_response(422, b'{"error":"unexpected token"}'), 0.0)
    assert isinstance(icu, ValidationFailed) and icu.message == "unexpected token"


@pytest.mark.parametrize(
    ("content", "headers", "concurrency"),
    [
        (b"Concurrency limit exceeded", {}, True),
        (b"Concurrency limit exceeded\n", {}, True),
        (b"", {"X-Rate-Limit-Reason": "concurrency"}, True),
        (b'{"message":"Rate limit exceeded"}', {"X-Rate-Limit-Reason": "rate_limit"}, False),
        (b'{"message":"Rate limit exceeded"}', {}, False),
    ],
)
def test_429_kinds(content: bytes, headers: dict[str, str], concurrency: bool) -> None:
    err = _dialect().error_for(
        _response(429, content, **headers, **{"X-Rate-Limit-Remaining": "0"}), 0.0
    )
    assert isinstance(err, RateLimited)
    assert err.concurrency is concurrency


def test_scope_per_user_and_per_project() -> None:
    per_user = _dialect()
    a = Request(method="GET", path="/projects/{project_id}/keys", path_params={"project_id": "a"})
    b = Request(method="GET", path="/projects/{project_id}/keys", path_params={"project_id": "b"})
    assert per_user.scope_for(a) == per_user.scope_for(b)
    per_project = _dialect(scope_per_project=True)
    assert per_project.scope_for(a) != per_project.scope_for(b)
    other_user = make_dialect(auth=make_auth(token="someone-else"))
    assert other_user.scope_for(a) != per_user.scope_for(a)


async def test_422_raised_from_a_call(phrase: Phrase, mock: Any) -> None:
    mock.post("/projects/p1/keys").respond(
        422,
        json={
            "message": "Validation Failed",
            "errors": [{"resource": "Key", "field": "name", "message": "is taken"}],
        },
    )
    with pytest.raises(ValidationFailed) as info:
        await phrase.keys.create("p1", name="dup")
    assert info.value.field_errors[0].field == "Key.name"
    assert TOKEN not in str(info.value)
