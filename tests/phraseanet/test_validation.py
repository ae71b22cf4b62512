"""Bad input is refused with InvalidRequestError before anything is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import respx

from asyncdam.engine.errors import ConfigurationError, InsecureTransportError, InvalidRequestError
from asyncdam.phraseanet import Phraseanet

BASE = "https://dam.example.org"

# Callers get Any: these calls break the signatures on purpose.
Call = Callable[[Any], Any]

BAD_CALLS: list[tuple[str, Call]] = [
    ("unknown keyword", lambda pn: pn.records.get(1, 2, colour="red")),
    ("missing id", lambda pn: pn.records.get(1)),
    ("None id", lambda pn: pn.records.get(None, 2)),
    ("empty id", lambda pn: pn.records.caption("", 2)),
    ("slash in id", lambda pn: pn.records.get("1/../2", 3)),
    ("bool id", lambda pn: pn.records.status(True, 3)),
    ("negative id", lambda pn: pn.stories.get(-1, 3)),
    ("float id", lambda pn: pn.baskets.content(1.5)),
    ("search unknown param", lambda pn: pn.records.search("x", page=2)),
    ("bases scalar", lambda pn: pn.records.search("x", bases=3)),
    ("bases strings", lambda pn: pn.records.search("x", bases=["a"])),
    ("per_page zero", lambda pn: pn.records.search("x", per_page=0)),
    ("offset negative", lambda pn: pn.records.search("x", offset_start=-1)),
    ("offset past window", lambda pn: pn.records.search("x", offset_start=500_000)),
    ("random sort paged", lambda pn: pn.records.search("x", sort="random")),
    ("bad ord", lambda pn: pn.records.search("x", ord="up")),
    ("bad date", lambda pn: pn.records.search("x", date_min="2020-01-01")),
    ("status reserved bit", lambda pn: pn.records.search("x", status={2: True})),
    ("status non-bool", lambda pn: pn.records.set_status(1, 2, {4: 1})),
    ("status empty", lambda pn: pn.records.set_status(1, 2, {})),
    ("v3 limit high", lambda pn: pn.records.search_v3("x", limit=101)),
    ("v3 limit zero", lambda pn: pn.records.search_v3("x", limit=0)),
    ("v3 offset negative", lambda pn: pn.records.search_v3("x", offset=-5)),
    ("v3 children limit", lambda pn: pn.stories.children(1, 2, limit=500)),
    ("v3 story_children_limit", lambda pn: pn.records.search_v3("x", story_children_limit=11)),
    ("feeds per_page", lambda pn: pn.feeds.entries(per_page=21)),
    ("feed per_page", lambda pn: pn.feeds.feed_entries(1, per_page=101)),
    ("quarantine per_page", lambda pn: pn.quarantine.list(per_page=1001)),
    ("metadatas not list", lambda pn: pn.records.set_metadatas(1, 2, {"value": "x"})),
    (
        "metadatas unknown key",
        lambda pn: pn.records.set_metadatas(1, 2, [{"meta_struct_id": 1, "val": "x"}]),
    ),
    ("upload both", lambda pn: pn.records.upload(1, b"x", url="https://x/y.jpg")),
    ("upload neither", lambda pn: pn.records.upload(1)),
    ("upload bad force", lambda pn: pn.records.upload(1, b"x", force="maybe")),
    ("basket blank name", lambda pn: pn.baskets.create("  ")),
    ("story refs", lambda pn: pn.stories.add_records(1, 2, [(1,)])),
    ("devices scalar", lambda pn: pn.records.embed(1, 2, devices="screen")),
    ("patch empty", lambda pn: pn.records.patch_v3(1, 2)),
    ("download target", lambda pn: pn.downloads.read(42)),
]


@pytest.mark.parametrize(("label", "call"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
async def test_bad_calls_never_reach_the_wire(label: str, call: Call) -> None:
    with respx.mock(assert_all_called=False) as router:
        everything = router.route().respond(500)
        async with Phraseanet(BASE, token="t") as pn:
            with pytest.raises(InvalidRequestError):
                result = call(pn)
                if isinstance(result, Awaitable):
                    await result
                else:
                    async for _ in result:
                        break
        assert not everything.called


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"token": "a", "oauth": object()},
        {"token": ""},
        {"token": " padded "},
        {"token": "ok", "concurrency": 0},
        {"oauth": "client:secret"},
    ],
)
def test_bad_construction(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        Phraseanet(BASE, **kwargs)


def test_plain_http_needs_opt_in_except_loopback() -> None:
    with pytest.raises(InsecureTransportError):
        Phraseanet("http://dam.example.org", token="t")
    Phraseanet("http://dam.example.org", token="t", allow_insecure_http=True)
    Phraseanet("http://127.0.0.1:8080", token="t")


def test_repr_hides_the_token() -> None:
    pn = Phraseanet(BASE, token="very-secret-token")
    assert "very-secret-token" not in repr(pn)
    assert "very-secret-token" not in repr(pn.dialect)
