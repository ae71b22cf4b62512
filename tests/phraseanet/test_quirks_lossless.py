"""With the emulator's quirk profile on, the client loses nothing: same ids, same key fields.

Everything listable is read twice from emulators of the same seed, once polite and once sending
the quirks real Phraseanet servers send (PHP `[]` for `{}`, numeric strings, "0"/"1" booleans,
id-keyed objects, comma strings, missing optional fields, unknown fields and enum values). The
identities and the key fields must match.
"""

from __future__ import annotations

from typing import Any

import pytest

from asyncdam.emulator.config import QUIRK_KINDS, EmulatorConfig, QuirkConfig
from asyncdam.emulator.phraseanet import create_app

from .conftest import TOKEN, RunAsync, emulator_client

SEED = 11
QUIRKS = QuirkConfig(enabled=True, rate=0.35)


async def _snapshot(app: Any) -> dict[str, Any]:
    """Ids and key fields of everything the user can list."""
    out: dict[str, Any] = {}
    async with emulator_client(app) as pn:
        records = [r async for r in pn.records.search(per_page=100)]
        out["records"] = sorted((r.databox_id, r.record_id, r.base_id) for r in records)
        stories = [s async for s in pn.stories.search(per_page=50)]
        out["stories"] = sorted((s.databox_id, s.story_id, s.base_id) for s in stories)
        out["databoxes"] = sorted(d.databox_id for d in await pn.databoxes.list())
        colls = []
        for d in (1, 2):  # databox 3 is not reachable by the seeded user
            colls += [(c.base_id, c.databox_id) for c in await pn.databoxes.collections(d)]
        out["collections"] = sorted(colls)
        out["fields"] = sorted(f.id for f in await pn.databoxes.metadatas(1))
        out["status_bits"] = sorted(b.bit for b in await pn.databoxes.status(1))
        out["baskets"] = sorted(b.basket_id for b in await pn.baskets.list())
        first = out["baskets"][0]
        content = await pn.baskets.content(first)
        out["basket_elements"] = sorted(
            (e.basket_element_id, e.record.record_id if e.record else None)
            for e in content.basket_elements
        )
        out["feeds"] = sorted(f.id for f in await pn.feeds.list())
        out["entries"] = sorted([e.id async for e in pn.feeds.entries(per_page=20)])
        out["quarantine"] = sorted([q.id async for q in pn.quarantine.list(per_page=10)])
        me = await pn.me.get()
        out["me"] = (me.user.id if me.user else None, sorted(c.base_id for c in me.collections))
        sample = out["records"][:5]
        metas = []
        for d, r, _ in sample:
            metas += [(m.meta_id, m.meta_structure_id) for m in await pn.records.metadatas(d, r)]
            record = await pn.records.get(d, r)
            metas.append((record.record_id, record.base_id))
        out["metadatas"] = sorted(metas)
    return out


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_quirks_lose_nothing(run_async: RunAsync) -> None:
    polite = create_app(EmulatorConfig(seed=SEED, token=TOKEN, size=0.3))
    quirky = create_app(EmulatorConfig(seed=SEED, token=TOKEN, size=0.3, quirks=QUIRKS))

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        return await _snapshot(polite), await _snapshot(quirky)

    plain, odd = run_async(both)
    assert len(plain["records"]) > 500 and plain["stories"] and plain["entries"]
    applied = quirky.state.quirk_stats.applied
    assert set(applied) == set(QUIRKS.kinds)  # every quirk was really sent
    for key in plain:
        assert odd[key] == plain[key], key


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", QUIRK_KINDS)
def test_each_quirk_alone_loses_nothing(run_async: RunAsync, kind: str) -> None:
    """One quirk at a time, on 90% of the places it can go: a failure names the quirk."""
    alone = QuirkConfig(enabled=True, rate=0.9, kinds=frozenset({kind}))  # type: ignore[arg-type]
    polite = create_app(EmulatorConfig(seed=SEED, token=TOKEN, size=0.1))
    quirky = create_app(EmulatorConfig(seed=SEED, token=TOKEN, size=0.1, quirks=alone))

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        return await _snapshot(polite), await _snapshot(quirky)

    plain, odd = run_async(both)
    assert {k: v for k, v in odd.items() if v != plain[k]} == {}
