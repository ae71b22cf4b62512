"""Shared fixtures for the Phrase adapter tests: the spec index, a client on a mocked network."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import respx

from asyncdam._spec import phrase_index
from asyncdam.phrase import Phrase

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = Path(
    os.environ.get(
        "ASYNCDAM_PHRASE_SPEC", REPO.parent / "shared" / "specs" / "phrase-strings-openapi.json"
    )
)
BASE = "https://api.phrase.com/v2"
TOKEN = "tok_0123456789abcdef"


def load_index() -> dict[str, Any]:
    """The committed, merged spec index (snapshot facts plus the extra operations): always there."""
    return copy.deepcopy(phrase_index())


def load_spec() -> dict[str, Any]:
    """The full spec (with its examples), or skip: only example-based tests need more than the
    index, and the full spec is optional (it lives outside the repo)."""
    if not SPEC_PATH.is_file():
        pytest.skip(f"Phrase spec not found at {SPEC_PATH}")
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def mock() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def phrase(mock: Any) -> AsyncIterator[Phrase]:
    async with Phrase(token=TOKEN, user_agent_contact="ops@example.com") as client:
        yield client
