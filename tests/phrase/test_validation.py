"""Bad input is refused with InvalidRequestError before any request is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asyncdam.engine.errors import ConfigurationError, InvalidRequestError
from asyncdam.phrase import Phrase
from asyncdam.phrase.formats import KNOWN_FORMATS, register_formats


@pytest.fixture
def any_route(mock: Any) -> Any:
    return mock.route().respond(200, json={})


@pytest.mark.parametrize(
    "call",
    [
        # required keyword missing (explicit None) or wrong type
        lambda p: p.locales.create("p1", name="German", code=None),
        lambda p: p.locales.create("p1", name=7, code="de"),
        lambda p: p.keys.update("p1", "k1", plural="yes"),
        lambda p: p.projects.show(None),
        lambda p: p.projects.show(12.5),
        lambda p: p.projects.show(""),
        lambda p: p.locales.download("p1", "en", file_format="not_a_format"),
        lambda p: p.locales.download("p1", "en", file_format="yml", locale_ids="en"),
        lambda p: p.locales.download("p1", "en", file_format="yml", format_options=[1]),
        lambda p: p.uploads.create("p1", file=b"x", file_format="klingon", locale_id="en"),
        lambda p: p.uploads.create("p1", file="en.yml", file_format="yml", locale_id="en"),
        lambda p: p.projects.list(sort_by="sideways"),
        lambda p: p.jobs.list("p1", states=[1, 2]),
        lambda p: p.keys.show("p1", "k1", branch=True),
        lambda p: p.projects.list(page="2"),
        lambda p: p.projects.list(per_page=True),
    ],
)
async def test_bad_input_sends_nothing(phrase: Phrase, any_route: Any, call: Any) -> None:
    with pytest.raises(InvalidRequestError):
        result = call(phrase)
        if hasattr(result, "__await__"):
            await result
        else:
            async for _ in result:
                pass
    assert not any_route.called


async def test_missing_required_keyword_is_a_type_error(phrase: Phrase) -> None:
    with pytest.raises(TypeError):
        await phrase.locales.create("p1", name="German")  # type: ignore[call-arg]


async def test_unknown_keyword_is_refused(phrase: Phrase, any_route: Any) -> None:
    with pytest.raises(TypeError):
        await phrase.keys.show("p1", "k1", colour="red")  # type: ignore[call-arg]
    assert not any_route.called


async def test_missing_file_to_push_sends_nothing(
    phrase: Phrase, any_route: Any, tmp_path: Path
) -> None:
    with pytest.raises(InvalidRequestError):
        await phrase.push("p1", [tmp_path / "nope.yml"], file_format="yml", locale_id="en")
    with pytest.raises(InvalidRequestError):
        await phrase.push("p1", [tmp_path / "x.yml"], file_format="nope", locale_id="en")
    assert not any_route.called


def test_credentials_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        Phrase()
    with pytest.raises(ConfigurationError):
        Phrase(token="t", email="a@example.com", password="p")
    with pytest.raises(ConfigurationError):
        Phrase(email="a@example.com")
    with pytest.raises(InvalidRequestError):
        Phrase(token="t\r\nX-Evil: 1")


def test_registered_formats_are_accepted() -> None:
    assert "brand_new_fmt" not in KNOWN_FORMATS
    register_formats(["brand_new_fmt", "Bad Name"])
    try:
        assert "brand_new_fmt" in KNOWN_FORMATS
        assert "Bad Name" not in KNOWN_FORMATS
    finally:
        KNOWN_FORMATS.discard("brand_new_fmt")


async def test_load_formats_widens_the_accepted_list(phrase: Phrase, mock: Any) -> None:
    mock.get("/formats").respond(200, json=[{"name": "Fancy", "api_name": "fancy_fmt_x"}])
    route = mock.get("/projects/p1/locales/en/download").respond(200, content=b"x")
    try:
        with pytest.raises(InvalidRequestError):
            await phrase.locales.download("p1", "en", file_format="fancy_fmt_x")
        formats = await phrase.load_formats()
        assert [f.api_name for f in formats] == ["fancy_fmt_x"]
        assert await phrase.locales.download("p1", "en", file_format="fancy_fmt_x") == b"x"
        assert route.call_count == 1
    finally:
        KNOWN_FORMATS.discard("fancy_fmt_x")
