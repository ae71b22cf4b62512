"""Exact wire behaviour: auth header forms, User-Agent, query encoding, ids, PATCH, multipart."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from asyncdam import __version__
from asyncdam.engine.errors import ConfigurationError, InsecureTransportError, InvalidRequestError
from asyncdam.phrase import Phrase

from .conftest import BASE, TOKEN


async def test_token_header_user_agent_and_accept(phrase: Phrase, mock: Any) -> None:
    route = mock.get("/projects/p1/locales/en").respond(200, json={"id": "l1", "name": "en"})
    locale = await phrase.locales.show("p1", "en")
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"token {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    ua = request.headers["User-Agent"]
    assert ua == f"asyncdam/{__version__} (ops@example.com)"
    assert locale.id == "l1" and locale.name == "en"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"token": TOKEN, "token_as_basic": True}, f"{TOKEN}:"),
        ({"email": "a@example.com", "password": "pw:x"}, "a@example.com:pw:x"),
    ],
)
async def test_basic_auth_forms(kwargs: dict[str, Any], expected: str) -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/user").respond(200, json={"id": "u1"})
        async with Phrase(**kwargs) as phrase:
            user = await phrase.users.show()
    header = route.calls.last.request.headers["Authorization"]
    assert header == "Basic " + base64.b64encode(expected.encode()).decode()
    assert user.id == "u1"


async def test_otp_header_from_client_and_per_call() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/authorizations/a1").respond(200, json={"id": "a1"})
        async with Phrase(email="a@example.com", password="pw", otp="123456") as phrase:
            await phrase.authorizations.show("a1")
            assert route.calls.last.request.headers["X-PhraseApp-OTP"] == "123456"
            await phrase.authorizations.show("a1", otp="654321")
            assert route.calls.last.request.headers["X-PhraseApp-OTP"] == "654321"


def test_secret_never_in_repr() -> None:
    phrase = Phrase(token=TOKEN)
    assert TOKEN not in repr(phrase)
    assert TOKEN not in repr(phrase.dialect.auth)
    assert TOKEN not in repr(phrase.dialect)


def test_regions_and_custom_base_url() -> None:
    assert str(Phrase(token=TOKEN).dialect.base_url) == "https://api.phrase.com/v2/"
    us = Phrase(token=TOKEN, region="us")
    assert str(us.dialect.base_url) == "https://api.us.app.phrase.com/v2/"
    local = Phrase(token=TOKEN, base_url="http://127.0.0.1:8400/v2")
    assert str(local.dialect.base_url) == "http://127.0.0.1:8400/v2/"
    with pytest.raises(ConfigurationError):
        Phrase(token=TOKEN, region="asia")
    with pytest.raises(InsecureTransportError):
        Phrase(token=TOKEN, base_url="http://phrase.example.com/v2")


async def test_query_arrays_repeat_and_booleans_lowercase(phrase: Phrase, mock: Any) -> None:
    route = mock.get("/projects/p1/locales/en/download").respond(200, content=b"en:\n")
    body = await phrase.locales.download(
        "p1",
        "en",
        file_format="yml",
        include_empty_translations=True,
        keep_notranslate_tags=False,
        locale_ids=["a", "b"],
        format_options={"enable_pluralization": True, "nested": {"x": "1"}},
    )
    assert body == b"en:\n"
    params = route.calls.last.request.url.params
    assert params["include_empty_translations"] == "true"
    assert params["keep_notranslate_tags"] == "false"
    assert params.get_list("locale_ids") == ["a", "b"]
    assert params["format_options[enable_pluralization]"] == "true"
    assert params["format_options[nested][x]"] == "1"
    assert route.calls.last.request.headers["Accept"] == "*/*"


@pytest.mark.parametrize(
    ("key_id", "encoded"),
    [("a/b", "a%2Fb"), ("../x", "..%2Fx"), ("k y?#", "k%20y%3F%23"), ("%2F", "%252F")],
)
async def test_ids_are_percent_encoded(
    phrase: Phrase, mock: Any, key_id: str, encoded: str
) -> None:
    route = mock.route(method="GET").respond(200, json={"id": "k"})
    await phrase.keys.show("p1", key_id)
    raw = route.calls.last.request.url.raw_path.decode()
    assert raw == f"/v2/projects/p1/keys/{encoded}"


async def test_dot_segment_ids_are_refused(phrase: Phrase, mock: Any) -> None:
    route = mock.route().respond(200, json={})
    with pytest.raises(InvalidRequestError):
        await phrase.keys.show("p1", "..")
    assert not route.called


async def test_update_is_patch_with_json_body(phrase: Phrase, mock: Any) -> None:
    route = mock.patch("/projects/p1/keys/k1").respond(200, json={"id": "k1", "name": "new"})
    key = await phrase.keys.update("p1", "k1", name="new", tags="a,b", plural=False)
    request = route.calls.last.request
    assert request.method == "PATCH"
    assert request.headers["Content-Type"] == "application/json"
    assert httpx.Response(200, content=request.content).json() == {
        "name": "new",
        "tags": "a,b",
        "plural": False,
    }
    assert key.name == "new"


async def test_path_name_and_body_name_do_not_clash(phrase: Phrase, mock: Any) -> None:
    route = mock.patch("/projects/p1/branches/feat%2F1").respond(200, json={"name": "feat-2"})
    await phrase.branches.update("p1", "feat/1", new_name="feat-2")
    assert httpx.Response(200, content=route.calls.last.request.content).json() == {
        "name": "feat-2"
    }


def _parts(request: httpx.Request) -> dict[str, list[tuple[str | None, bytes]]]:
    """Multipart parts by field name: (filename, payload)."""
    ctype = request.headers["Content-Type"]
    boundary = re.search(r"boundary=(.+)", ctype)
    assert boundary is not None
    out: dict[str, list[tuple[str | None, bytes]]] = {}
    for chunk in request.content.split(b"--" + boundary.group(1).encode())[1:-1]:
        head, _, payload = chunk[2:-2].partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        filename = re.search(rb'filename="([^"]+)"', head)
        assert name is not None
        out.setdefault(name.group(1).decode(), []).append(
            (filename.group(1).decode() if filename else None, payload)
        )
    return out


async def test_upload_multipart_uses_bracketed_names(
    phrase: Phrase, mock: Any, tmp_path: Path
) -> None:
    source = tmp_path / "en.csv"
    source.write_bytes(b"key,en\nhello,Hello\n")
    route = mock.post("/projects/p1/uploads").respond(
        201, json={"id": "u1", "state": "initialized"}
    )
    upload = await phrase.uploads.create(
        "p1",
        file=source,
        file_format="csv",
        locale_id="en",
        update_translations=True,
        locale_mapping={"en": "2"},
        format_options={"column_separator": ",", "deep": {"foo": "bar"}},
    )
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = _parts(request)
    assert parts["file"] == [("en.csv", b"key,en\nhello,Hello\n")]
    assert parts["file_format"] == [(None, b"csv")]
    assert parts["update_translations"] == [(None, b"true")]
    assert parts["locale_mapping[en]"] == [(None, b"2")]
    assert parts["format_options[column_separator]"] == [(None, b",")]
    assert parts["format_options[deep][foo]"] == [(None, b"bar")]
    assert upload.id == "u1" and upload.state == "initialized"


async def test_search_is_post_marked_idempotent(phrase: Phrase, mock: Any) -> None:
    route = mock.post("/projects/p1/keys/search").respond(200, json=[{"id": "k1"}])
    keys = [k async for k in phrase.keys.search("p1", q="tags:web", locale_id="en")]
    request = route.calls.last.request
    assert request.url.params["per_page"] == "100"
    assert httpx.Response(200, content=request.content).json() == {
        "q": "tags:web",
        "locale_id": "en",
    }
    assert [k.id for k in keys] == ["k1"]
    from asyncdam.phrase.resources.keys import OPERATIONS

    assert OPERATIONS["search"].idempotent is True


async def test_default_user_agent_without_contact() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/formats").respond(200, json=[])
        async with Phrase(token=TOKEN) as phrase:
            assert await phrase.formats.list() == []
    assert route.calls.last.request.headers["User-Agent"] == f"asyncdam/{__version__}"


async def test_binary_field_of_a_json_operation_switches_to_multipart(
    phrase: Phrase, mock: Any
) -> None:
    route = mock.post("/projects/p1/keys").respond(201, json={"id": "k1"})
    await phrase.keys.create("p1", name="hello", screenshot=("shot.png", b"\x89PNG", "image/png"))
    parts = _parts(route.calls.last.request)
    assert parts["name"] == [(None, b"hello")]
    assert parts["screenshot"] == [("shot.png", b"\x89PNG")]
    await phrase.keys.create("p1", name="plain")
    assert route.calls.last.request.headers["Content-Type"] == "application/json"


async def test_spec_path_defects_are_repaired(phrase: Phrase, mock: Any) -> None:
    # The spec names {automation_id} `id`, and declares attach_to_key's key `id` as a path
    # parameter its path lacks; the generator uses the template and sends the key in the query.
    auto = mock.get("/accounts/a1/automations/x%2Fy").respond(200, json={"id": "x/y"})
    await phrase.automations.show("a1", "x/y")
    assert auto.called
    attach = mock.post("/projects/p1/figma_attachments/f1/keys").respond(200, json={})
    await phrase.key_figma_attachments.attach_to_key("p1", "f1", id="k1", branch="b")
    assert dict(attach.calls.last.request.url.params) == {"id": "k1", "branch": "b"}
    comment = mock.patch("/projects/p1/jobs/j1/comments/c1").respond(200, json={"id": "c1"})
    await phrase.job_comments.update("p1", "j1", "c1", message="hi")
    assert comment.called
