"""Pure parts: the lenient converter, query rendering, size URLs, bulk bookkeeping, redaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from asyncdam.engine.errors import DecodeError, InvalidRequestError
from asyncdam.openasset import OpenAsset, OrderKey, Query, any_of, between, eq, lt
from asyncdam.openasset.bulk import BulkItem, BulkResult, ItemError, error_entry
from asyncdam.openasset.converter import parse_datetime, structure
from asyncdam.openasset.dialect import html_error_text, rest_base
from asyncdam.openasset.files import size_url
from asyncdam.openasset.models import Album, Field, FileSize, Project, Search
from asyncdam.openasset.nouns import NOUNS
from asyncdam.openasset.versions import FeatureNotSupported, parse_version, require

from .conftest import RunAsync, client


def test_converter_tolerates_old_servers() -> None:
    album = structure(
        {
            "id": "3",
            "company_album": "0",
            "can_modify": 1,
            "private_image_count": "104,0,0,0",
            "created": "",
            "updated": "20240229235959",
            "files": [{"id": "9", "display_order": "2"}],
            "surprise": {"a": 1},
        },
        Album,
    )
    assert album.id == 3 and album.company_album is False and album.can_modify is True
    assert album.private_image_count == "104,0,0,0"
    assert album.created is None and album.updated == dt.datetime(2024, 2, 29, 23, 59, 59)
    assert album.files is not None and album.files[0].id == 9 and album.files[0].display_order == 2
    assert album.extra == {"surprise": {"a": 1}}


def test_unreadable_values_are_kept_not_lost() -> None:
    project = structure(
        {"id": "x12", "alive": "maybe", "name": 42, "updated": "31/12/2020"}, Project
    )
    assert project.id is None and project.alive is None and project.updated is None
    assert project.name == "42"
    assert project.extra == {"id": "x12", "alive": "maybe", "updated": "31/12/2020"}


def test_nested_models_and_empty_values() -> None:
    search = structure(
        {"id": 1, "search_items": [{"code": "keyword.4", "ids": ["7"], "exclude": "1"}]}, Search
    )
    assert search.search_items is not None and search.search_items[0].exclude is True
    field = structure({"id": "2", "fieldLookupStrings": [{"id": "1", "value": "A"}]}, Field)
    assert field.fieldLookupStrings is not None and field.fieldLookupStrings[0].value == "A"
    assert parse_datetime("0") is None and parse_datetime("00000000000000") is None
    assert parse_datetime("20200102") == dt.datetime(2020, 1, 2)


def test_query_rendering_and_validation() -> None:
    spec = NOUNS["Keywords"]
    q = Query.build(order_by="-name,idAsc", name=eq("stone"), id=between(1, 9), limit=0)
    assert q.to_params(spec) == [
        ("limit", "0"),
        ("orderBy", "nameDesc,idAsc"),
        ("name", "stone"),
        ("id", "1-9"),
    ]
    assert OrderKey.parse("codeDesc") == OrderKey("code", True)
    assert q.where("keyword_category_id", [1, 2]).to_params(spec)[-1] == (
        "keyword_category_id",
        "1,2",
    )
    merged = q.merged(Query.build(order_by="id", updated=lt(dt.date(2020, 1, 1))))
    assert ("orderBy", "id") in merged.to_params(spec)
    assert ("updated", "<20200101000000") in merged.to_params(spec)
    bads: list[Callable[[], object]] = [
        lambda: q.where("name", "x").to_params(spec),  # two filters on one field
        lambda: Query.build(id=between(5, -1)).to_params(spec),
        lambda: Query.build(name="9-17x").to_params(spec),
        lambda: Query.build(name=any_of()).to_params(spec),
        lambda: Query.build(limit=True).to_params(spec),
        lambda: Query.build(orderBy=1).to_params(spec),
    ]
    for bad in bads:
        with pytest.raises(InvalidRequestError):
            bad()


def test_size_urls() -> None:
    base = httpx.URL("https://acme.openasset.com/REST/1/")
    entry = FileSize(id=2, http_root="//data.openasset.com/acme/", http_relative_path="x/a b%.jpg")
    assert str(size_url(base, entry)) == "https://data.openasset.com/acme/x/a%20b%25.jpg"
    legacy = FileSize(id=2, http_root="/Images/", relative_path="1/2/f?.jpg")
    assert str(size_url(base, legacy)) == "https://acme.openasset.com/Images/1/2/f%3F.jpg"
    bare = FileSize(id=2, http_root="cdn.example.com", http_relative_path="p.jpg")
    assert str(size_url(base, bare)) == "https://cdn.example.com/p.jpg"
    with pytest.raises(DecodeError):
        size_url(base, FileSize(id=2, http_root="//h/"))


def test_bulk_bookkeeping() -> None:
    assert error_entry({"error_message": "Nope", "http_status_code": "404"}) == ItemError(
        404, "Nope"
    )
    assert error_entry({"id": 1, "name": "x"}) is None
    result: BulkResult[int] = BulkResult(
        (
            BulkItem(0, value=1, ignored_fields=("a",)),
            BulkItem(1, error=ItemError(400, "bad")),
            BulkItem(2, value=3, ignored_fields=("b", "a")),
        )
    )
    assert not result.ok and [i.index for i in result.failed] == [1]
    assert result.ignored_fields == ("a", "b")


def test_versions_and_html_and_base_urls() -> None:
    assert parse_version("10.3.12h") == (10, 3, 12) and parse_version("9") == (9,)
    require("Groups", None)  # unknown version: let the server decide
    with pytest.raises(FeatureNotSupported, match=r"8\.1\.11.*8\.1\.7"):
        require("Groups", (8, 1, 7))
    assert html_error_text("<html><title>T</title><body><p> 504:  Gateway </p>") == "504: Gateway"
    assert str(rest_base("https://a.openasset.com")) == "https://a.openasset.com/REST/1/"
    assert str(rest_base("https://a.openasset.com/REST/1")) == "https://a.openasset.com/REST/1/"


def test_configuration_errors() -> None:
    from asyncdam.engine.errors import ConfigurationError, InsecureTransportError

    with pytest.raises(ConfigurationError):
        OpenAsset("https://a.openasset.com", token=("1", "s"), basic=("u", "p"))
    with pytest.raises(ConfigurationError):
        OpenAsset("https://a.openasset.com", token=("1", "has space"))
    with pytest.raises(InsecureTransportError):
        OpenAsset("http://dam.example.org", basic=("u", "p"))
    OpenAsset("http://dam.example.org", basic=("u", "p"), allow_insecure_http=True)


def test_secrets_stay_out_of_logs_and_reprs(
    app: Any, run_async: RunAsync, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import SECRET

    caplog.set_level(logging.DEBUG)

    async def main() -> str:
        async with client(app) as oa:
            await oa.keywords.get(1)
            await oa.keywords.update(1, {"name": "renamed", "updated": "20200101000000"})
            return repr(oa) + repr(oa.auth) + repr(oa.keywords) + repr(oa.dialect)

    text = run_async(main)
    keys = list(app.state.sessions._keys)
    assert keys
    for secret in [SECRET, *keys]:
        assert secret not in text and secret not in caplog.text
    assert "ignored fields updated" in caplog.text
