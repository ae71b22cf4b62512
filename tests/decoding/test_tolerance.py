"""What real servers send, read without losing an item or a value (one case per quirk)."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import attrs
import httpx
import pytest

from asyncdam.engine.errors import DecodeError, NotFound
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset
from asyncdam.openasset import models as oa
from asyncdam.openasset.converter import decoder as oa_decoder
from asyncdam.phrase import models as ph
from asyncdam.phrase.converter import decoder as ph_decoder
from asyncdam.phraseanet import models as pn
from asyncdam.phraseanet.converter import decoder as pn_decoder


def test_a_comma_string_is_a_list_never_its_characters() -> None:
    hook = ph_decoder.structure(
        {"id": "w1", "events": "locales:create,translations:update"}, ph.Webhook
    )
    assert hook.events == ["locales:create", "translations:update"]
    assert hook.problems == ()


def _string_list_fields() -> list[tuple[type[Any], str]]:
    out = []
    for obj in vars(ph).values():
        if isinstance(obj, type) and attrs.has(obj):
            for name, hint in typing.get_type_hints(obj).items():
                if hint == list[str] | None:
                    out.append((obj, name))
    return out


def test_every_phrase_string_list_field_splits_on_commas() -> None:
    fields = _string_list_fields()
    assert len(fields) >= 30
    for cls, name in fields:
        wire = attrs.fields_dict(cls)[name].metadata.get("wire", name)
        model = ph_decoder.structure({wire: "a, b,c"}, cls)
        assert getattr(model, name) == ["a", "b", "c"], (cls.__name__, name)


def test_php_and_string_habits() -> None:
    key = ph_decoder.structure(
        {
            "id": 17,  # a number where the spec says string
            "plural": "1",
            "use_ordinal_rules": 0,
            "created_at": "",  # no date
            "updated_at": "2015-01-28 15:31:30 UTC",
            "tags": {"3": "web", "9": "ios"},  # id-keyed object for a list
            "state": "brand-new-enum-value",
        },
        ph.TranslationKey,
    )
    assert key.id == "17" and key.plural is True and key.use_ordinal_rules is False
    assert key.created_at is None and key.updated_at == dt.datetime(
        2015, 1, 28, 15, 31, 30, tzinfo=dt.UTC
    )
    assert key.tags == ["web", "ios"]
    assert key.extra == {"state": "brand-new-enum-value"} and key.problems == ()
    stats = ph_decoder.structure({"keys_total_count": "12"}, ph.LocaleStatistics)
    assert stats.keys_total_count == 12


def test_an_unreadable_value_is_kept_raw_with_its_problem() -> None:
    key = ph_decoder.structure(
        {"id": "k", "plural": "perhaps", "created_at": "yesterday", "tags": [1, {"x": 1}]},
        ph.TranslationKey,
    )
    assert key.id == "k" and key.plural is None and key.created_at is None and key.tags is None
    assert key.extra == {"plural": "perhaps", "created_at": "yesterday", "tags": [1, {"x": 1}]}
    assert sorted(p.field for p in key.problems) == ["created_at", "plural", "tags"]
    assert "perhaps" in next(p.reason for p in key.problems if p.field == "plural")


def test_phraseanet_php_empty_array_for_a_model_and_a_bad_field_keep_the_record() -> None:
    page = pn_decoder.structure(
        {
            "total_results": "2",
            "records": {
                "0": {"databox_id": 1, "record_id": 2, "thumbnail": [], "subdefs": []},
                "1": {"databox_id": 1, "record_id": 3, "collection_id": "abc", "status": {}},
            },
        },
        pn.SearchPage,
    )
    assert page.total_results == 2 and [r.record_id for r in page.records] == [2, 3]
    first, second = page.records
    assert first.thumbnail is None and first.subdefs == []
    assert second.collection_id is None and second.extra == {"collection_id": "abc"}
    assert [p.field for p in second.problems] == ["collection_id"] and second.status == []
    basket = pn_decoder.structure({"basket": [], "basket_elements": {}}, pn.BasketContent)
    assert basket.basket == pn.Basket() and basket.basket_elements == []


def test_openasset_old_server_values() -> None:
    album = oa_decoder.structure(
        {"id": "3", "locked": 2, "created": "0", "files": "", "code": 12}, oa.Album
    )
    assert album.id == 3 and album.locked is True and album.created is None
    assert album.files is None and album.code == "12" and album.problems == ()


def _openasset(body: Any) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"X-OpenAsset-Version": "12.0.0"})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"error_message": "File not found", "http_status_code": "404"}, NotFound),
        ({"error_message": "odd", "http_status_code": 200}, DecodeError),
        ({"filename": "no id.jpg"}, DecodeError),
    ],
)
async def test_openasset_get_never_returns_an_object_without_id(body: Any, error: type) -> None:
    async with Engine(transport=_openasset(body)) as engine:
        client = OpenAsset("https://oa.example.com", basic=("u", "p"), engine=engine)
        with pytest.raises(error):
            await client.files.get(5)
