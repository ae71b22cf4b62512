"""Chaos export: >= 10,000 items per service through emulators that fail on purpose.

Each service's emulator injects 5% 5xx, 2% connection resets, 1% truncated bodies, 429 bursts and
latency jitter. The export must yield every item exactly once and in the order a fault-free run
gives, while the engine's retries stay inside its RetryBudget.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from asyncdam.emulator import openasset as openasset_emulator
from asyncdam.emulator import phrase as phrase_emulator
from asyncdam.emulator import phraseanet as phraseanet_emulator
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.faults import fault_sequence
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.retry import RetryBudget, RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.openasset import OpenAsset
from asyncdam.phrase import Phrase
from asyncdam.phraseanet import Phraseanet

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1"
MIN_ITEMS = 10_000
FAULTS = FaultConfig(
    latency_ms=0.0,
    jitter_ms=0.3,
    error_rate=0.05,
    reset_rate=0.02,
    truncate_rate=0.01,
    burst_429_rate=0.01,
    seed=11,
)
# A job ratio of 0.5 leaves room for ~8% faults plus the 429s of a burst; the window covers the
# whole job so the invariant below can be checked on the engine's totals.
BUDGET_RATIO = 0.5
BUDGET_FLOOR = 20

Lister = Callable[[Engine, EmulatorConfig], AsyncIterator[str]]


async def _phrase_ids(engine: Engine, config: EmulatorConfig) -> AsyncIterator[str]:
    phrase = Phrase(token=config.token, base_url=f"{BASE}/v2", engine=engine)
    projects = [p async for p in phrase.projects.list()]
    for project in projects:
        async for key in phrase.keys.list(project.id or "", per_page=100):
            yield f"{project.id}/{key.id}"


async def _phraseanet_ids(engine: Engine, config: EmulatorConfig) -> AsyncIterator[str]:
    async with Phraseanet(BASE, token=config.token, engine=engine) as pn:
        async for record in pn.records.search(per_page=50):
            yield f"{record.databox_id}/{record.record_id}"


async def _openasset_ids(engine: Engine, config: EmulatorConfig) -> AsyncIterator[str]:
    token_id, secret = config.token.split(":", 1)
    async with OpenAsset(BASE, token=(token_id, secret), engine=engine) as oa:
        async for file in oa.files.list(page_size=50):
            yield str(file.id)


SERVICES: dict[str, tuple[Any, Lister, EmulatorConfig]] = {
    "phrase": (
        phrase_emulator,
        _phrase_ids,
        EmulatorConfig(seed=1, size=3.6, quota=10**9, token="chaos-phrase-token"),
    ),
    "phraseanet": (
        phraseanet_emulator,
        _phraseanet_ids,
        EmulatorConfig(seed=2, size=4.0, token="chaos-phraseanet-token"),
    ),
    "openasset": (
        openasset_emulator,
        _openasset_ids,
        EmulatorConfig(seed=3, size=3.5, token="7:chaos-openasset-secret"),
    ),
}


async def _export(
    module: Any, lister: Lister, config: EmulatorConfig, *, chaos: bool
) -> tuple[list[str], Engine]:
    if chaos:
        config = EmulatorConfig(
            seed=config.seed,
            size=config.size,
            quota=config.quota,
            token=config.token,
            faults=FAULTS,
        )
    app = module.create_app(config)
    # Phraseanet and OpenAsset document no rate-limit headers, so their 429 bursts (1-2 s of
    # real time) are ridden out by backoff alone: attempts and a cap that outlast a burst
    # without spending more than a handful of retries on it.
    retry = RetryPolicy(max_attempts=14, backoff_base=0.1, backoff_cap=1.0, max_server_wait=5.0)
    budget = RetryBudget(ratio=BUDGET_RATIO, window=3600.0, min_per_window=BUDGET_FLOOR)
    engine = Engine(transport=emulator_transport(app), retry=retry, retry_budget=budget)
    async with engine:
        with anyio.fail_after(120):
            ids = [item async for item in lister(engine, config)]
    return ids, engine


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_chaos_export_every_item_once_in_order(
    service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    module, lister, config = SERVICES[service]
    expected, _ = await _export(module, lister, config, chaos=False)
    assert len(expected) >= MIN_ITEMS
    assert len(set(expected)) == len(expected)

    got, engine = await _export(module, lister, config, chaos=True)
    stats = engine.stats
    injected = collections.Counter(
        d.kind for d in fault_sequence(FAULTS, stats.requests) if d.kind is not None
    )
    duplicates = len(got) - len(set(got))
    losses = len(set(expected) - set(got))
    with capsys.disabled():
        print(
            f"\n[chaos {service}] items={len(got)} requests={stats.requests} "
            f"retries={stats.retries} injected={dict(injected)} 429s={stats.rate_limited} "
            f"transport_errors={stats.transport_errors} losses={losses} duplicates={duplicates}"
        )
    assert got == expected
    assert duplicates == 0 and losses == 0
    # Faults really happened, of every kind asked for (the seed is fixed, so this is stable).
    for kind in ("error", "reset", "truncate", "burst_429"):
        assert injected[kind] > 0, kind
    assert stats.retries > 0
    # The budget invariant: retries never exceed ratio * logical requests (or the floor).
    logical = stats.requests - stats.retries
    assert stats.retries <= max(BUDGET_FLOOR, BUDGET_RATIO * logical)
    assert stats.retries_refused_by_budget == 0
