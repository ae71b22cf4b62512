"""Bad input at construction of the three clients: a typed error naming the field, no secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import asyncdam
from asyncdam import InvalidArgumentError
from asyncdam.openasset import OpenAsset
from asyncdam.phrase import Phrase
from asyncdam.phraseanet import Phraseanet

PN = "https://dam.example.org"
OA = "https://acme.openasset.com"

Build = Callable[[], Any]

CASES: list[tuple[str, str, Build]] = [
    ("phrase token int", "token", lambda: Phrase(token=123)),  # type: ignore[arg-type]
    ("phrase token non-ascii", "token", lambda: Phrase(token="tök-sécret")),
    ("phrase token padded", "token", lambda: Phrase(token=" t ")),
    ("phrase base_url int", "base_url", lambda: Phrase(token="t", base_url=123)),  # type: ignore[arg-type]
    ("phrase base_url port", "base_url", lambda: Phrase(token="t", base_url="https://h:99999/")),
    ("phrase base_url bad port", "base_url", lambda: Phrase(token="t", base_url="https://h:x/")),
    ("phrase base_url relative", "base_url", lambda: Phrase(token="t", base_url="api/v2")),
    ("phrase region", "region", lambda: Phrase(token="t", region="xx")),
    ("phrase region type", "region", lambda: Phrase(token="t", region=1)),  # type: ignore[arg-type]
    ("phrase concurrency 0", "concurrency", lambda: Phrase(token="t", concurrency=0)),
    ("phrase concurrency str", "concurrency", lambda: Phrase(token="t", concurrency="2")),  # type: ignore[arg-type]
    ("phrase concurrency bool", "concurrency", lambda: Phrase(token="t", concurrency=True)),
    ("phrase email int", "email", lambda: Phrase(email=1, password="p")),  # type: ignore[arg-type]
    ("phrase contact int", "user_agent_contact", lambda: Phrase(token="t", user_agent_contact=1)),  # type: ignore[arg-type]
    ("phrase flag str", "scope_per_project", lambda: Phrase(token="t", scope_per_project="yes")),  # type: ignore[arg-type]
    ("phrase unknown kwarg", "colour", lambda: Phrase(token="t", colour="red")),
    ("phrase engine int", "engine", lambda: Phrase(token="t", engine=1)),  # type: ignore[arg-type]
    ("phrase on_invalid", "on_invalid", lambda: Phrase(token="t", on_invalid="drop")),  # type: ignore[arg-type]
    ("phraseanet on_invalid", "on_invalid", lambda: Phraseanet(PN, token="t", on_invalid="x")),  # type: ignore[arg-type]
    ("openasset on_invalid", "on_invalid", lambda: OpenAsset(OA, on_invalid="x")),  # type: ignore[arg-type]
    ("phraseanet token int", "token", lambda: Phraseanet(PN, token=123)),  # type: ignore[arg-type]
    ("phraseanet token non-ascii", "token", lambda: Phraseanet(PN, token="jéton")),
    ("phraseanet base_url int", "base_url", lambda: Phraseanet(123, token="t")),  # type: ignore[arg-type]
    ("phraseanet base_url port", "base_url", lambda: Phraseanet(PN + ":0", token="t")),
    (
        "phraseanet concurrency str",
        "concurrency",
        lambda: Phraseanet(PN, token="t", concurrency="2"),
    ),  # type: ignore[arg-type]
    ("phraseanet oauth", "oauth", lambda: Phraseanet(PN, oauth=("u", "p"))),  # type: ignore[arg-type]
    ("phraseanet unknown kwarg", "colour", lambda: Phraseanet(PN, token="t", colour="red")),
    ("openasset token int", "token", lambda: OpenAsset(OA, token=123)),  # type: ignore[arg-type]
    ("openasset token str", "token", lambda: OpenAsset(OA, token="5:secret")),  # type: ignore[arg-type]
    ("openasset secret int", "token", lambda: OpenAsset(OA, token=("5", 7))),  # type: ignore[arg-type]
    ("openasset secret non-ascii", "token", lambda: OpenAsset(OA, token=("5", "sécret"))),
    ("openasset basic str", "basic", lambda: OpenAsset(OA, basic="user:pw")),  # type: ignore[arg-type]
    ("openasset base_url int", "base_url", lambda: OpenAsset(123, token=("5", "s"))),  # type: ignore[arg-type]
    ("openasset concurrency 0", "concurrency", lambda: OpenAsset(OA, concurrency=0)),
    ("openasset concurrency str", "concurrency", lambda: OpenAsset(OA, concurrency="2")),  # type: ignore[arg-type]
    ("openasset page_size", "page_size", lambda: OpenAsset(OA, page_size=0)),
    ("openasset unknown kwarg", "colour", lambda: OpenAsset(OA, colour="red")),
]


@pytest.mark.parametrize(("field", "build"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_is_a_typed_error_naming_the_field(field: str, build: Build) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        build()
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")
    assert isinstance(info.value, asyncdam.ConfigurationError)
    assert isinstance(info.value, asyncdam.AsyncDamError)


def test_a_secret_is_never_echoed() -> None:
    for build in (
        lambda: Phrase(token="tök-sécret"),
        lambda: Phraseanet(PN, token="tök-sécret"),
        lambda: OpenAsset(OA, token=("5", "tök-sécret")),
    ):
        with pytest.raises(InvalidArgumentError) as info:
            build()
        assert "sécret" not in str(info.value)


def test_engine_options_beside_a_shared_engine_are_refused() -> None:
    engine = asyncdam.Engine()
    with pytest.raises(InvalidArgumentError) as info:
        Phrase(token="t", engine=engine, http2=False)
    assert info.value.field == "http2"


def test_good_arguments_still_build() -> None:
    Phrase(token="t", region="us", concurrency=4, user_agent_contact="me@example.com")
    Phrase(email="a@example.com", password="pässword")  # basic auth takes any Unicode
    Phraseanet(PN, token="t", concurrency=3, timeout=5.0)
    OpenAsset(OA, token=(5, "secret"), page_size=100)
    OpenAsset(OA, basic=("jürgen", "pässword"))
