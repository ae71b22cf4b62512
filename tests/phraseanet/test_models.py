"""The converter's tolerance of PHP habits, and strictness where a shape is really wrong."""

from __future__ import annotations

import attrs
import pytest

from asyncdam.engine.errors import DecodeError
from asyncdam.phraseanet import models as m
from asyncdam.phraseanet.converter import structure, structure_list

COLL = {
    "base_id": 1,
    "databox_id": 1,
    "collection_id": 1,
    "name": "Photos",
    "labels": {},
    "record_amount": 10,
    "order_managers": [],
}


def test_id_keyed_objects_and_lists_read_the_same() -> None:
    keyed = {"1": COLL, "5": {**COLL, "base_id": 5}}
    listed = [COLL, {**COLL, "base_id": 5}]
    assert structure_list(keyed, m.Collection) == structure_list(listed, m.Collection)
    me = structure({"user": {"id": 1}, "collections": keyed, "databoxes": {}}, m.Me)
    assert [c.base_id for c in me.collections] == [1, 5] and me.databoxes == []


def test_numeric_and_boolean_strings() -> None:
    sub = structure(
        {
            "name": "doc",
            "height": "120",
            "width": 80.0,
            "substituted": "0",
            "permalink": {"is_activated": "1", "id": "7"},
        },
        m.Subdef,
    )
    assert sub.height == 120 and sub.width == 80 and sub.substituted is False
    assert sub.permalink is not None and sub.permalink.is_activated and sub.permalink.id == 7
    up = structure({"entity": "0", "url": "/records/1/2/"}, m.UploadResult)
    assert up.entity == "0" and not up.quarantined and up.record_key == (1, 2)


def test_php_empty_array_for_an_object_and_unknown_fields_kept() -> None:
    rec = structure(
        {
            "databox_id": 1,
            "record_id": 2,
            "labels": [],
            "@entity@": "x",
            "new_field": {"a": 1},
            "thumbnail": None,
        },
        m.Record,
    )
    assert rec.extra == {"labels": [], "@entity@": "x", "new_field": {"a": 1}}
    assert rec.thumbnail is None
    db = structure({"databox_id": 3, "labels": []}, m.Databox)
    assert db.labels == {}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rec.title = "x"


def test_missing_fields_default_and_story_children() -> None:
    story = structure(
        {
            "story_id": 9,
            "databox_id": 1,
            "records": {"0": {"record_id": 4}},
            "metadatas": {"@entity@": "bag", "dc:title": "T"},
        },
        m.Story,
    )
    assert story.key == (1, 9) and [r.record_id for r in story.records] == [4]
    assert story.metadatas["dc:title"] == "T"


def test_a_non_object_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        structure("text", m.Record)


@pytest.mark.parametrize(
    ("value", "cls", "wire"),
    [
        ({"record_id": "abc"}, m.Record, "record_id"),
        ({"records": 5}, m.Story, "records"),
        ({"is_activated": "maybe"}, m.Permalink, "is_activated"),
    ],
)
def test_unreadable_fields_are_kept_raw_with_a_problem(value: dict, cls: type, wire: str) -> None:
    obj = structure(value, cls)
    assert obj.extra == value
    assert [p.field for p in obj.problems] == [wire]


def test_quarantine_upload_result_ids() -> None:
    up = structure({"entity": "1", "url": "https://h/api/v1/quarantine/item/12/"}, m.UploadResult)
    assert up.quarantined and up.quarantine_id == 12
    v3 = structure({"entity": None, "url": "https://h/api/v1/quarantine/item/3/"}, m.UploadResult)
    assert v3.quarantined
