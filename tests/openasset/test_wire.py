"""Exact requests (respx): auth forms, session-key reuse and fallback, query encoding, errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import pytest
import respx

from asyncdam.engine.errors import (
    BadRequest,
    Forbidden,
    InvalidRequestError,
    NotFound,
    ServerError,
    Unauthorized,
)
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset, Query, any_of, between, ge, gt, not_
from asyncdam.openasset.models import File

HOST = "https://acme.openasset.com"
API = HOST + "/REST/1"
SECRET = "VerySecretTokenString_abcdefghijklmnopqrstuv"
HEADERS = {"X-OpenAsset-Version": "10.3.12", "Content-Type": "application/json"}


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers={**HEADERS, **(headers or {})})


@pytest.fixture
def mock() -> Any:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def test_oatu_header_then_session_key_alone(mock: Any) -> None:
    route = mock.get(API + "/Keywords/3").mock(
        side_effect=[answer({"id": 3}, headers={"X-SessionKey": "key-1"}), answer({"id": 3})]
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        await oa.keywords.get(3)
        await oa.keywords.get(3)
    first, second = (c.request for c in route.calls)
    assert first.headers["Authorization"] == f"OATU 12:{SECRET}"
    assert "X-SessionKey" not in first.headers
    assert second.headers["X-SessionKey"] == "key-1"
    assert "Authorization" not in second.headers


async def test_basic_header(mock: Any) -> None:
    route = mock.get(API + "/Users/1").mock(return_value=answer({"id": "1"}))
    async with OpenAsset(HOST, basic=("jane", "pässword")) as oa:
        user = await oa.users.get(1)
    assert user.id == 1
    expected = base64.b64encode("jane:pässword".encode()).decode()
    assert route.calls[0].request.headers["Authorization"] == f"Basic {expected}"


async def test_expired_key_falls_back_to_credential_once_and_picks_up_new_key(mock: Any) -> None:
    route = mock.get(API + "/Photographers/1").mock(
        side_effect=[
            answer({"id": 1}, headers={"X-SessionKey": "old"}),
            answer(
                {"error_message": "Invalid or expired session key", "http_status_code": "401"}, 401
            ),
            answer({"id": 1}, headers={"X-SessionKey": "new"}),
            answer({"id": 1}),
        ]
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        for _ in range(3):
            await oa.photographers.get(1)
    sent = [c.request for c in route.calls]
    assert [r.headers.get("X-SessionKey") for r in sent] == [None, "old", None, "new"]
    assert [r.headers.get("Authorization") is not None for r in sent] == [True, False, True, False]


async def test_fallback_is_tried_once_then_unauthorized(mock: Any) -> None:
    denied = answer({"error_message": "Invalid credentials", "http_status_code": "401"}, 401)
    route = mock.get(API + "/Photographers/1").mock(
        side_effect=[answer({"id": 1}, headers={"X-SessionKey": "old"}), denied, denied]
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        await oa.photographers.get(1)
        with pytest.raises(Unauthorized) as caught:
            await oa.photographers.get(1)
    assert route.call_count == 3
    text = str(caught.value) + repr(caught.value) + repr(oa) + repr(oa.auth)
    assert SECRET not in text and "old" not in repr(oa.auth)
    assert caught.value.message == "Invalid credentials"


async def test_concurrent_first_requests_log_in_once(mock: Any) -> None:
    import anyio

    route = mock.head(API + "/Keywords").mock(
        side_effect=lambda request: httpx.Response(
            200, headers={**HEADERS, "X-SessionKey": "k", "X-Full-Results-Count": "0"}
        )
    )
    async with OpenAsset(HOST, token=("12", SECRET), concurrency=4) as oa:
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(oa.keywords.count)
    with_credential = [c for c in route.calls if "Authorization" in c.request.headers]
    assert len(with_credential) == 1
    assert oa.auth.logins == 1


async def test_count_uses_head_and_full_results_header(mock: Any) -> None:
    route = mock.head(API + "/Files").mock(
        return_value=httpx.Response(200, headers={**HEADERS, "X-Full-Results-Count": "4321"})
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        assert await oa.files.count(project_id=7) == 4321
    params = route.calls[0].request.url.params
    assert params["project_id"] == "7" and params["limit"] == "1"


async def test_query_encoding(mock: Any) -> None:
    route = mock.get(API + "/Files").mock(
        return_value=answer([], headers={"X-Full-Results-Count": "0"})
    )
    when = dt.datetime(2018, 1, 1)
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        paginator = oa.files.list(
            id=between(9, 17),
            uploaded=ge(when),
            caption=not_("draft copy"),
            rank=any_of(1, 2, 3),
            category_id=gt(2),
            alive=True,
            order_by=["rankDesc", "id"],
            text_matching="exact",
            display_fields=["id", "caption"],
            expand={"keywords": "all", "sizes": [1, 5]},
            page_size=250,
        )
        assert [f async for f in paginator] == []
    url = route.calls[0].request.url
    assert url.params.multi_items() == [
        ("orderBy", "rankDesc,id"),
        ("textMatching", "exact"),
        ("displayFields", "id,caption"),
        ("id", "9-17"),
        ("uploaded", ">=20180101000000"),
        ("caption", "!draft copy"),
        ("rank", "1,2,3"),
        ("category_id", ">2"),
        ("alive", "1"),
        ("keywords", "all"),
        ("sizes", "1,5"),
        ("offset", "0"),
        ("limit", "250"),
    ]
    assert b"caption=%21draft+copy" in url.query or b"caption=%21draft%20copy" in url.query


async def test_ids_are_percent_encoded_in_paths(mock: Any) -> None:
    route = mock.get(url__regex=r".*/REST/1/Files/\d+/Keywords.*").mock(
        return_value=answer([{"id": "4"}], headers={"X-Full-Results-Count": "1"})
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        got = await oa.files.keywords.all(" 42 ")  # type: ignore[arg-type]
        assert [k.id for k in got] == [4]
        with pytest.raises(InvalidRequestError):
            await oa.files.get("../Users")  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError):
            await oa.files.get(-1)
    assert route.calls[0].request.url.raw_path.startswith(b"/REST/1/Files/42/Keywords")


@pytest.mark.parametrize(
    "build",
    [
        lambda oa: oa.keywords.list(nosuchfield=1),
        lambda oa: oa.files.list(**{"bad name": 1}),
        lambda oa: oa.keywords.list(order_by="nosuchDesc"),
        lambda oa: oa.files.list(limit=-1),
        lambda oa: oa.files.list(offset=-5),
        lambda oa: oa.files.list(caption=">5"),
        lambda oa: oa.files.list(caption="a,b"),
        lambda oa: oa.files.list(expand={"nosuch": "all"}),
        lambda oa: oa.files.list(expand={"keywords": "some"}),
        lambda oa: oa.files.list(text_matching="fuzzy"),
        lambda oa: oa.files.list(page_size=0),
        lambda oa: oa.keywords.list(hide_fields=["id"]),
        lambda oa: oa.files.list(Query.build(flags={"bogus": 1})),
    ],
)
async def test_invalid_queries_are_refused_before_sending(mock: Any, build: Any) -> None:
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        with pytest.raises(InvalidRequestError):
            build(oa)
    assert not mock.calls


async def test_bad_operator_is_refused() -> None:
    from asyncdam.openasset.query import Condition

    with pytest.raises(InvalidRequestError):
        Condition("like", ("x",))


async def test_hide_fields_sends_the_complement(mock: Any) -> None:
    route = mock.get(API + "/Keywords").mock(
        return_value=answer([], headers={"X-Full-Results-Count": "0"})
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        assert [k async for k in oa.keywords.list(hide_fields=["updated"])] == []
    shown = route.calls[0].request.url.params["displayFields"].split(",")
    assert "updated" not in shown and {"id", "name", "keyword_category_id"} <= set(shown)


async def test_writes_are_strict(mock: Any) -> None:
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        with pytest.raises(InvalidRequestError):
            await oa.keywords.create({"name": "x", "bogus": 1})
        with pytest.raises(InvalidRequestError):
            await oa.keywords.create({"name": 5, "keyword_category_id": 1})
        with pytest.raises(InvalidRequestError):
            await oa.keywords.create({"id": 4, "name": "x"})
        with pytest.raises(InvalidRequestError):
            await oa.categories.create({"name": "x"})  # Categories allow no POST
        with pytest.raises(InvalidRequestError):
            await oa.access_levels.delete(1)
        with pytest.raises(InvalidRequestError):
            await oa.files.delete_many([1, "x"])  # type: ignore[list-item]
        with pytest.raises(InvalidRequestError):
            await oa.projects.update(1, {"alive": "yes"})
    assert not mock.calls


async def test_write_body_encoding(mock: Any) -> None:
    route = mock.put(API + "/Projects/9").mock(return_value=answer({"id": "9", "alive": "0"}))
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        project = await oa.projects.update(9, {"alive": False, "practice_area": "Health"})
    assert project.alive is False
    assert json.loads(route.calls[0].request.content) == {"alive": 0, "practice_area": "Health"}


async def test_html_error_page_maps_onto_the_error_tree(mock: Any) -> None:
    page = (
        "<html><head><title>OpenAsset - Something went wrong!</title></head>"
        "<body><p>502: Bad Gateway</p></body></html>"
    )
    mock.get(API + "/Keywords/1").mock(
        return_value=httpx.Response(502, text=page, headers={"Content-Type": "text/html"})
    )
    engine = Engine(retry=RetryPolicy(max_attempts=1))
    async with engine, OpenAsset(HOST, token=("12", SECRET), engine=engine) as oa:
        with pytest.raises(ServerError) as caught:
            await oa.keywords.get(1)
    assert caught.value.message == "502: Bad Gateway"


@pytest.mark.parametrize(
    ("status", "error"), [(400, BadRequest), (403, Forbidden), (404, NotFound)]
)
async def test_json_error_bodies(mock: Any, status: int, error: type[Exception]) -> None:
    mock.get(API + "/Keywords/1").mock(
        return_value=answer({"error_message": "Nope", "http_status_code": str(status)}, status)
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        with pytest.raises(error, match="Nope"):
            await oa.keywords.get(1)


async def test_legacy_charset_and_strings(mock: Any) -> None:
    body = '[{"id": "5", "caption": "Caf\xe9 \u2013 terrace", "alive": "1", "rank": "",'
    body += ' "uploaded": "20170302101500", "updated": "0", "duration": "2.5", "odd": "x"}]'
    mock.get(API + "/Files").mock(
        return_value=httpx.Response(
            200,
            content=body.encode("cp1252"),
            headers={
                "Content-Type": "application/json; charset=windows-1252",
                "X-Full-Results-Count": "1",
                "X-OpenAsset-Version": "8.2.3h",
            },
        )
    )
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        files = [f async for f in oa.files.list()]
        assert oa.version == (8, 2, 3)
    assert files == [
        File(
            id=5,
            caption="Caf\u00e9 \u2013 terrace",
            alive=True,
            rank=None,
            uploaded=dt.datetime(2017, 3, 2, 10, 15),
            updated=None,
            duration=2.5,
            extra={"odd": "x"},
        )
    ]


async def test_other_origin_download_goes_through_the_engine_without_credentials(
    mock: Any,
) -> None:
    mock.get(API + "/Files/3/Sizes").mock(
        return_value=answer(
            [
                {
                    "id": "2",
                    "http_root": "//downloads.openasset.com/acme",
                    "http_relative_path": "/a b/ré#1.jpg",
                }
            ],
            headers={"X-Full-Results-Count": "1"},
        )
    )
    seen: list[httpx.Request] = []

    def storage(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"JPEGDATA")

    mock.route(host="downloads.openasset.com").mock(side_effect=storage)
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        assert await oa.files.download(3, 2) == b"JPEGDATA"
    (request,) = seen
    assert request.url.host == "downloads.openasset.com"
    assert request.url.raw_path == b"/acme/a%20b/r%C3%A9%231.jpg"
    assert "Authorization" not in request.headers and "X-SessionKey" not in request.headers


async def test_sort_gets_id_as_tiebreak_for_offset_paging(mock: Any) -> None:
    empty = answer([], headers={"X-Full-Results-Count": "0"})
    route = mock.get(API + "/Keywords").mock(return_value=empty)
    async with OpenAsset(HOST, token=("12", SECRET)) as oa:
        assert [k async for k in oa.keywords.list(order_by="nameDesc")] == []
        assert [k async for k in oa.keywords.list(order_by="-id")] == []
    orders = [c.request.url.params["orderBy"] for c in route.calls]
    assert orders == ["nameDesc,id", "idDesc"]
