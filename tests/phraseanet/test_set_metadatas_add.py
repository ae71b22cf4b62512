"""`records.set_metadatas` with `meta_id: ""`: the documented way to add a value."""

from __future__ import annotations

from typing import Any

from .conftest import RunAsync, emulator_client


def test_empty_meta_id_adds_a_value(run_async: RunAsync, app: Any) -> None:
    rec = next(r for r in app.state.store.records.values() if r.base_id == 1 and not r.is_story)

    async def flow() -> tuple[list[str], list[str]]:
        async with emulator_client(app) as pn:
            before = await pn.records.metadatas(rec.databox_id, rec.record_id)
            after = await pn.records.set_metadatas(
                rec.databox_id,
                rec.record_id,
                [
                    {"meta_struct_id": 2, "meta_id": "", "value": "added-by-empty-id"},
                    {"meta_struct_id": 2, "value": "added-without-id"},
                ],
            )
            return [m.value or "" for m in before], [m.value or "" for m in after]

    before, after = run_async(flow)
    assert "added-by-empty-id" not in before
    assert after.count("added-by-empty-id") == 1 and after.count("added-without-id") == 1
    assert len(after) == len(before) + 2
