"""The adapter on both anyio backends (asyncio and trio) against the in-process emulator."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase

emulator = pytest.importorskip("asyncdam.emulator.phrase")
config_module = pytest.importorskip("asyncdam.emulator.config")


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_paging_and_pull_on_each_backend(backend: str, tmp_path: Path) -> None:
    async def scenario() -> tuple[int, int, list[bool]]:
        app = emulator.create_app(config_module.EmulatorConfig(seed=2, size=0.2))
        async with Engine(transport=httpx.ASGITransport(app=app)) as engine:
            phrase = Phrase(token="test-token", base_url="http://localhost/v2", engine=engine)
            projects = [p async for p in phrase.projects.list()]
            project = projects[0].id or ""
            small = [k.id async for k in phrase.keys.list(project, per_page=5)]
            big = [k.id async for k in phrase.keys.list(project)]
            await phrase.pull(project, tmp_path, file_format="simple_json")
            again = await phrase.pull(project, tmp_path, file_format="simple_json")
            return len(small), len(set(big)), [r.changed for r in again]

    small, big, changed = anyio.run(scenario, backend=backend)
    assert small == big > 5
    assert changed and not any(changed)
