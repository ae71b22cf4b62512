"""With the emulator's quirk profile on, the client loses nothing: same ids, same key fields.

Every noun is listed twice from emulators of the same seed, once polite and once sending the
quirks of old OpenAsset servers at their worst (numeric strings, "1"/"0" flags, id-keyed
expansions, comma strings, missing optional fields, unknown fields and enum values, `[]` for
empty objects); ids, names and the ids inside expansions must match.
"""

from __future__ import annotations

from typing import Any

import pytest

from asyncdam.emulator.config import QUIRK_KINDS, EmulatorConfig, QuirkConfig
from asyncdam.emulator.openasset import create_app

from .conftest import SECRET, TOKEN_ID, RunAsync, client

SEED = 5
QUIRKS = QuirkConfig(enabled=True, rate=0.35)
NOUNS = (
    "access_levels albums alternate_stores aspect_ratios categories copyright_holders "
    "copyright_policies data_integrations employees employee_keywords employee_keyword_categories "
    "fields groups keywords keyword_categories photographers projects project_keywords "
    "project_keyword_categories searches sizes text_rewrites users"
).split()


def _ids(refs: Any) -> list[Any]:
    return sorted(getattr(r, "id", None) for r in refs or [])


async def _snapshot(app: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with client(app) as oa:
        for noun in NOUNS:
            rows = [row async for row in getattr(oa, noun).list()]
            out[noun] = sorted((row.id, getattr(row, "name", None)) for row in rows)
        files = [f async for f in oa.files.list(expand={"keywords": "all", "albums": "all"})]
        out["files"] = sorted(
            (f.id, f.category_id, _ids(f.keywords), _ids(getattr(f, "albums", None))) for f in files
        )
        projects = [p async for p in oa.projects.list(expand={"projectKeywords": "all"})]
        out["project_keywords_of"] = sorted((p.id, _ids(p.projectKeywords)) for p in projects)
        out["results"] = [r.file_id async for r in oa.searches.results.list(1)]
    return out


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_quirks_lose_nothing(run_async: RunAsync) -> None:
    token = f"{TOKEN_ID}:{SECRET}"
    polite = create_app(EmulatorConfig(seed=SEED, token=token, size=0.3))
    quirky = create_app(EmulatorConfig(seed=SEED, token=token, size=0.3, quirks=QUIRKS))

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        return await _snapshot(polite), await _snapshot(quirky)

    plain, odd = run_async(both)
    assert len(plain["files"]) > 500 and plain["keywords"] and plain["results"]
    assert any(keywords for _, _, keywords, _ in plain["files"])
    assert any(keywords for _, keywords in plain["project_keywords_of"])
    applied = quirky.state.quirk_stats.applied
    # Every quirk was really sent; OpenAsset flags are 0/1 numbers, never JSON booleans, so
    # "1"/"0" strings come from numeric_strings there.
    assert set(applied) == set(QUIRKS.kinds) - {"bool_strings"}
    for key in plain:
        assert odd[key] == plain[key], key


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", QUIRK_KINDS)
def test_each_quirk_alone_loses_nothing(run_async: RunAsync, kind: str) -> None:
    """One quirk at a time, on 90% of the places it can go: a failure names the quirk."""
    alone = QuirkConfig(enabled=True, rate=0.9, kinds=frozenset({kind}))  # type: ignore[arg-type]
    polite = create_app(EmulatorConfig(seed=SEED, token=f"{TOKEN_ID}:{SECRET}", size=0.1))
    quirky = create_app(
        EmulatorConfig(seed=SEED, token=f"{TOKEN_ID}:{SECRET}", size=0.1, quirks=alone)
    )

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        return await _snapshot(polite), await _snapshot(quirky)

    plain, odd = run_async(both)
    assert {k: v for k, v in odd.items() if v != plain[k]} == {}
