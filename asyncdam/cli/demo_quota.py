"""The demo's tight-quota job: the same fetches paced by asyncdam and fired by a naive gather.

Two Phrase emulators with the same seed and a deliberately small quota serve the job, one per
client, so each starts with a full window. The job fetches `calls` keys one by one, all at once:
asyncdam queues them behind its limiter (zero 429s, close to the quota-bound minimum); a plain
`asyncio.gather` over httpx sends them at once and is refused for everything past the quota and
the concurrency cap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

import anyio
import attrs
import httpx

from asyncdam.cli.demo_rows import DemoRow, quota_bound
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.registry import base_path, create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.emulator.transport import emulator_transport
from asyncdam.engine.session import Engine

__all__ = ["TightQuota", "run_tight_quota"]

USER_AGENT = "asyncdam-demo (demo@example.com)"


@attrs.frozen
class TightQuota:
    """The job's size and the quota it runs under."""

    calls: int = 60
    quota: int = 20
    window: float = 2.0
    concurrency: int = 2  # the emulator's cap, explicit: the naive run is refused past it
    latency_ms: float = 20.0

    def config(self) -> EmulatorConfig:
        """The emulator settings both runs are served with."""
        return EmulatorConfig(
            seed=1,
            token="demo-tight-quota-token",  # noqa: S106 - the emulator's own credential
            size=0.1,
            quota=self.quota,
            window=self.window,
            concurrency=self.concurrency,
            faults=FaultConfig(latency_ms=self.latency_ms),
        )

    @property
    def minimum(self) -> float:
        """The least time the quota allows for the job (whole windows beyond the first)."""
        return quota_bound(self.calls, self.quota, self.window) or 0.0


async def _job_keys(config: EmulatorConfig, calls: int) -> tuple[str, list[str]]:
    """The project and key ids the job fetches, read from an in-process twin (same seed).

    Reading them from the served emulators would spend the quota the job is measured against.
    """
    app = create_app("phrase", config)
    headers = {"Authorization": f"token {config.token}", "User-Agent": USER_AGENT}
    base = f"http://phrase.emulator.localhost{base_path('phrase')}/"
    async with httpx.AsyncClient(
        transport=emulator_transport(app), base_url=base, headers=headers
    ) as client:
        project = (await client.get("projects", params={"per_page": 1})).json()[0]["id"]
        ids: list[str] = []
        page = 1
        while len(ids) < calls:
            batch = (
                await client.get(f"projects/{project}/keys", params={"per_page": 100, "page": page})
            ).json()
            if not batch:
                break
            ids.extend(str(k["id"]) for k in batch)
            page += 1
    if len(ids) < calls:
        raise RuntimeError(f"the demo project has only {len(ids)} keys, {calls} needed")
    return str(project), ids[:calls]


async def _paced(base_url: str, token: str, project: str, ids: Sequence[str]) -> DemoRow:
    from asyncdam.phrase import Phrase

    fetched = 0
    started = time.perf_counter()
    async with Engine(cache=False) as engine:
        phrase = Phrase(token=token, base_url=base_url, engine=engine)

        async def one(key_id: str) -> None:
            nonlocal fetched
            await phrase.keys.show(project, key_id)
            fetched += 1

        # Every call at once, exactly like the naive client: the limiter does the pacing.
        async with anyio.create_task_group() as group:
            for key_id in ids:
                group.start_soon(one, key_id)
        stats = engine.stats
    return _row(
        "tight: asyncdam",
        items=fetched,
        expected=len(ids),
        requests=stats.requests,
        rate_limited=stats.rate_limited,
        retries=stats.retries,
        wait=stats.throttle_wait,
        elapsed=time.perf_counter() - started,
    )


async def _naive(base_url: str, token: str, project: str, ids: Sequence[str]) -> DemoRow:
    headers = {"Authorization": f"token {token}", "User-Agent": USER_AGENT}
    started = time.perf_counter()
    async with httpx.AsyncClient(headers=headers, timeout=30.0) as client:
        responses = await asyncio.gather(
            *(client.get(f"{base_url}/projects/{project}/keys/{key_id}") for key_id in ids)
        )
    statuses = [r.status_code for r in responses]
    return _row(
        "tight: naive gather",
        items=sum(1 for s in statuses if s == 200),
        expected=len(ids),
        requests=len(statuses),
        rate_limited=sum(1 for s in statuses if s == 429),
        retries=0,
        wait=0.0,
        elapsed=time.perf_counter() - started,
    )


def _row(
    job: str,
    *,
    items: int,
    expected: int,
    requests: int,
    rate_limited: int,
    retries: int,
    wait: float,
    elapsed: float,
) -> DemoRow:
    return DemoRow(
        service="phrase",
        job=job,
        items=items,
        expected=expected,
        requests=requests,
        not_modified=0,
        rate_limited=rate_limited,
        retries=retries,
        throttle_wait=wait,
        elapsed=elapsed,
        minimum="",
    )


def run_tight_quota(job: TightQuota, note: Any = None) -> list[DemoRow]:
    """Serve two emulators, run the job paced and naive, and return both rows (paced first).

    The paced row carries a problem when it saw a 429 or missed a key; the naive row's 429s
    are the point of the comparison, not a failure.
    """
    config = job.config()
    with ExitStack() as stack:
        urls = []
        for _ in range(2):
            server = stack.enter_context(EmulatorServer("phrase", config))
            urls.append(server.origin + base_path("phrase"))
        if note is not None:
            note(f"phrase tight-quota emulators on {urls[0]} and {urls[1]}")

        async def main() -> list[DemoRow]:
            project, ids = await _job_keys(config, job.calls)
            paced = await _paced(urls[0], config.token, project, ids)
            naive = await _naive(urls[1], config.token, project, ids)
            return [paced, naive]

        rows = anyio.run(main)
    minimum = f"{job.minimum:.1f}"
    for row in rows:
        row.minimum = minimum
    paced = rows[0]
    if paced.rate_limited:
        paced.problems.append(f"{paced.rate_limited} response(s) were 429 under the tight quota")
    if paced.items != paced.expected:
        paced.problems.append(f"fetched {paced.items} of {paced.expected} keys under the quota")
    return rows
