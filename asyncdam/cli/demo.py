"""`asyncdam demo`: the library's main job against the three emulators, offline, with a report.

For each service an emulator is served on loopback; a bulk export streams every item through
paging with fetch-ahead under the service's quota and concurrency cap, then a second pass
revalidates through the ETag cache. The run fails (non-zero exit, one line) when a 429 was seen,
an item is missing or repeated, or the second pass did not return the same items.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from contextlib import ExitStack
from typing import Any

import anyio
import attrs
import click

from asyncdam.cli.demo_quota import TightQuota, run_tight_quota
from asyncdam.cli.demo_rows import DemoRow, quota_bound
from asyncdam.cli.output import Reporter, fail, stdout_console, table
from asyncdam.emulator.config import EmulatorConfig, FaultConfig
from asyncdam.emulator.registry import base_path, create_app, is_available
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.engine.events import EngineStats
from asyncdam.engine.session import Engine

__all__ = ["DemoRow", "ServiceJob", "demo", "quota_bound"]

# The current Phrase Strings defaults (per user), passed to the emulator so the reported quota
# is the enforced one: 1000 requests per 5 minutes, 4 in flight.
PHRASE_QUOTA = 1000
PHRASE_WINDOW = 300.0
PHRASE_CONCURRENCY = 4


Listing = Callable[[Any], Awaitable[tuple[Any, str]]]


@attrs.frozen
class ServiceJob:
    """How the demo drives one service: its client, its biggest listing and an item's identity."""

    service: str
    config: EmulatorConfig
    make_client: Callable[[str, str, Engine], Any]
    open_listing: Listing  # (client) -> (fresh paginator, description)
    identity: Callable[[Any], Hashable]
    quota: int | None
    window: float | None
    revalidates: bool  # whether the listing's responses carry validators (so pass 2 is 304s)
    note: str = ""
    prepare_app: Callable[[Any], None] | None = None  # emulator switches set before serving


def _phrase_job(latency_ms: float, size: float) -> ServiceJob | None:
    try:
        from asyncdam.phrase import Phrase
    except ImportError:
        return None

    def make(base_url: str, token: str, engine: Engine) -> Any:
        return Phrase(token=token, base_url=base_url, engine=engine)

    biggest: dict[str, str] = {}

    async def listing(client: Any) -> tuple[Any, str]:
        if not biggest:
            # Size each project with a one-item page: its Pagination header tells the total.
            sizes: list[tuple[int, str]] = []
            async for project in client.projects.list():
                probe = client.keys.list(project.id, per_page=1)
                await probe.first_page()
                sizes.append((probe.total or 0, project.id))
            biggest["id"] = max(sizes)[1]
        return client.keys.list(biggest["id"]), f"keys of project {biggest['id'][:8]}"

    return ServiceJob(
        service="phrase",
        config=EmulatorConfig(
            seed=1,
            token="demo-phrase-token",  # noqa: S106 - the emulator's own throwaway credential
            quota=PHRASE_QUOTA,
            window=PHRASE_WINDOW,
            concurrency=PHRASE_CONCURRENCY,
            size=size,
            faults=FaultConfig(latency_ms=latency_ms),
        ),
        make_client=make,
        open_listing=listing,
        identity=lambda key: key.id,
        quota=PHRASE_QUOTA,
        window=PHRASE_WINDOW,
        revalidates=True,
    )


def _phraseanet_job(latency_ms: float, size: float) -> ServiceJob | None:
    try:
        from asyncdam.phraseanet import Phraseanet
    except ImportError:
        return None

    def make(base_url: str, token: str, engine: Engine) -> Any:
        return Phraseanet(base_url, token=token, engine=engine)

    async def listing(client: Any) -> tuple[Any, str]:
        return client.records.search(query=""), "full records search"

    return ServiceJob(
        service="phraseanet",
        config=EmulatorConfig(
            seed=1,
            token="demo-phraseanet-token",  # noqa: S106 - the emulator's own credential
            size=size,
            faults=FaultConfig(latency_ms=latency_ms),
        ),
        make_client=make,
        open_listing=listing,
        identity=lambda record: (record.databox_id, record.record_id),
        quota=None,
        window=None,
        revalidates=False,
        note="search is a POST and API replies carry no ETag, so pass 2 refetches",
    )


def _openasset_job(latency_ms: float, size: float) -> ServiceJob | None:
    try:
        from asyncdam.openasset import OpenAsset
    except ImportError:
        return None

    def make(base_url: str, token: str, engine: Engine) -> Any:
        token_id, _, secret = token.partition(":")
        return OpenAsset(base_url, token=(token_id, secret), engine=engine)

    async def listing(client: Any) -> tuple[Any, str]:
        return client.files.list(), "all files"

    def conditional(app: Any) -> None:
        # Off by default in the emulator: real servers' support is unverified (no ETag at all).
        app.state.settings = attrs.evolve(app.state.settings, conditional=True)

    return ServiceJob(
        service="openasset",
        config=EmulatorConfig(
            seed=1,
            token="7:demo-openasset-secret",  # noqa: S106 - the emulator's own credential
            size=size,
            faults=FaultConfig(latency_ms=latency_ms),
        ),
        make_client=make,
        open_listing=listing,
        identity=lambda f: f.id,
        quota=None,
        window=None,
        revalidates=True,
        note="revalidation uses Last-Modified/If-Modified-Since (the emulator's optional switch)",
        prepare_app=conditional,
    )


def _delta(after: EngineStats, before: EngineStats) -> dict[str, float]:
    return {
        "requests": after.requests - before.requests,
        "not_modified": after.not_modified - before.not_modified,
        "rate_limited": after.rate_limited - before.rate_limited,
        "retries": after.retries - before.retries,
        "throttle_wait": after.throttle_wait - before.throttle_wait,
    }


def _snapshot(stats: EngineStats) -> EngineStats:
    return EngineStats(**{**stats.as_dict(), "responses": dict(stats.responses)})


async def _one_pass(
    job: ServiceJob, client: Any, engine: Engine, label: str, reporter: Reporter
) -> tuple[DemoRow, list[Hashable]]:
    before = _snapshot(engine.stats)
    started = time.perf_counter()
    paginator, what = await job.open_listing(client)
    progress = reporter.task(f"{job.service} {label}: {what}")
    seen: list[Hashable] = []
    async with paginator:
        async for item in paginator:
            seen.append(job.identity(item))
            progress(len(seen), paginator.total)
    elapsed = time.perf_counter() - started
    d = _delta(engine.stats, before)
    counted = int(d["requests"] - d["not_modified"])
    bound = quota_bound(counted, job.quota, job.window)
    if bound is None:
        minimum = "-"
    else:
        minimum = f"{bound:.1f}"
    row = DemoRow(
        service=job.service,
        job=label,
        items=len(seen),
        expected=paginator.total,
        requests=int(d["requests"]),
        not_modified=int(d["not_modified"]),
        rate_limited=int(d["rate_limited"]),
        retries=int(d["retries"]),
        throttle_wait=d["throttle_wait"],
        elapsed=elapsed,
        minimum=minimum,
    )
    return row, seen


def _check(job: ServiceJob, first: DemoRow, ids1: list[Hashable], second: DemoRow,
           ids2: list[Hashable]) -> list[str]:  # fmt: skip
    problems: list[str] = []
    for row in (first, second):
        if row.rate_limited:
            problems.append(f"{row.rate_limited} response(s) were 429 in the {row.job} pass")
        if row.expected is not None and row.items != row.expected:
            problems.append(
                f"{row.job} pass got {row.items} items, the server reports {row.expected}"
            )
    if len(set(ids1)) != len(ids1):
        problems.append(f"{len(ids1) - len(set(ids1))} item(s) were delivered twice")
    if ids1 != ids2:
        problems.append("the revalidation pass did not return the same items in the same order")
    if job.revalidates and second.not_modified < second.requests:
        problems.append(
            f"only {second.not_modified} of {second.requests} revalidation requests were 304s"
        )
    return problems


async def _run_service(job: ServiceJob, base_url: str, reporter: Reporter) -> list[DemoRow]:
    async with Engine() as engine:
        client = job.make_client(base_url, job.config.token, engine)
        async with client:
            first, ids1 = await _one_pass(job, client, engine, "export", reporter)
            second, ids2 = await _one_pass(job, client, engine, "revalidate", reporter)
    problems = _check(job, first, ids1, second, ids2)
    first.problems = problems
    return [first, second]


def _server_429s(app: Any) -> int:
    stats = getattr(getattr(app, "state", None), "stats", None)
    return int(getattr(stats, "total_429", 0) or 0)


@click.command()
@click.option(
    "--size", default=1.0, show_default=True, help="Scale of the emulators' data sets (0-10]."
)
@click.option(
    "--latency-ms", default=20.0, show_default=True, help="Emulated latency per request (0-2000)."
)
@click.option(
    "--service",
    "services",
    multiple=True,
    type=click.Choice(["phrase", "phraseanet", "openasset"]),
    help="Run only these services (repeat; default all).",
)
@click.option(
    "--tight-quota/--no-tight-quota",
    default=True,
    show_default=True,
    help="Also run the Phrase tight-quota job, paced by asyncdam and by a naive gather.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def demo(
    size: float, latency_ms: float, services: tuple[str, ...], tight_quota: bool, debug: bool
) -> None:
    """Run the bulk export + revalidation against local emulators; no account, no network.

    Then the same tight-quota job twice: paced by asyncdam, and fired by a naive asyncio.gather.
    """
    _check_options(size, latency_ms)
    builders = {"phrase": _phrase_job, "phraseanet": _phraseanet_job, "openasset": _openasset_job}
    reporter = Reporter()
    jobs: list[ServiceJob] = []
    for name in services or tuple(builders):
        built = builders[name](latency_ms, size)
        if built is None or not is_available(name):
            reporter.line(f"{name}: skipped (its adapter or emulator is not installed)")
            continue
        jobs.append(built)
    if not jobs:
        fail("no service can run: install asyncdam with the 'emulator' extra")
    paced = _tight_quota_job(tight_quota, jobs, latency_ms)
    started = time.perf_counter()
    rows: list[DemoRow] = []
    problems: list[str] = []
    try:
        with ExitStack() as stack:
            apps: dict[str, Any] = {}
            urls: dict[str, str] = {}
            for job in jobs:
                app = create_app(job.service, job.config)
                if job.prepare_app is not None:
                    job.prepare_app(app)
                server = stack.enter_context(EmulatorServer(job.service, job.config, app=app))
                apps[job.service] = app
                urls[job.service] = server.origin + base_path(job.service)
                reporter.line(f"{job.service} emulator on {urls[job.service]}")

            async def main() -> None:
                with reporter.session():
                    for job in jobs:
                        rows.extend(await _run_service(job, urls[job.service], reporter))

            anyio.run(main)
            for job in jobs:
                refused = _server_429s(apps[job.service])
                if refused:
                    problems.append(f"{job.service}: the emulator answered {refused} 429(s)")
        if paced is not None:
            rows.extend(run_tight_quota(paced, reporter.line))
    except Exception as exc:
        if debug:
            raise
        from asyncdam.cli.output import describe_error

        fail(f"demo: {describe_error(exc)}")
    total = time.perf_counter() - started
    out = stdout_console()
    out.print(_table(rows))
    for line in _legend(jobs, rows, paced):
        out.print(line, highlight=False)
    for row in rows:
        problems.extend(f"{row.service}: {p}" for p in row.problems)
    out.print(f"demo finished in {total:.1f} s", highlight=False)
    if problems:
        fail("; ".join(problems))


def _table(rows: list[DemoRow]) -> Any:
    columns = (
        "job", "items", "reqs", "304s", "429s", "retries", "wait\n(s)", "elapsed\n(s)",
        "quota\nmin (s)",
    )  # fmt: skip
    body = [
        (
            f"{r.service} {r.job}",
            str(r.items),
            str(r.requests),
            str(r.not_modified),
            str(r.rate_limited),
            str(r.retries),
            f"{r.throttle_wait:.2f}",
            f"{r.elapsed:.2f}",
            r.minimum,
        )
        for r in rows
    ]
    return table("asyncdam demo", columns, body)


def _legend(jobs: list[ServiceJob], rows: list[DemoRow], paced: TightQuota | None) -> list[str]:
    """What the columns mean, and each service's quota (or that it documents none)."""
    lines = [
        "reqs: HTTP requests sent; wait: time the limiter held requests back (summed);",
        "quota min: least time the service's quota allows for the requests counted against it",
    ]
    for job in jobs:
        if job.quota is None:
            lines.append(f"{job.service}: no documented quota (quota min: -)")
        else:
            counted = sum(
                r.requests - r.not_modified
                for r in rows
                if r.service == job.service and not r.job.startswith("tight")
            )
            lines.append(
                f"{job.service}: quota {job.quota} requests per {job.window:g} s, "
                f"{counted} counted (304s are free)"
            )
        if job.note:
            lines.append(f"{job.service}: {job.note}")
    if paced is not None:
        lines.append(
            f"phrase tight: {paced.calls} key fetches started at once, {paced.quota} requests "
            f"per {paced.window:g} s, {paced.concurrency} at a time;"
        )
        lines.append("  asyncdam queues them; a naive asyncio.gather is refused (429) past both")
    return lines


def _check_options(size: float, latency_ms: float) -> None:
    """One clear line (and exit 1) for a value the emulators cannot use."""
    if not 0 < size <= 10:
        fail(f"demo: --size must be above 0 and at most 10, got {size:g}")
    if not 0 <= latency_ms <= 2000:
        fail(f"demo: --latency-ms must be between 0 and 2000, got {latency_ms:g}")


def _tight_quota_job(wanted: bool, jobs: list[ServiceJob], latency_ms: float) -> TightQuota | None:
    """The tight-quota job when asked for and the Phrase adapter and emulator are here."""
    if not wanted or not any(job.service == "phrase" for job in jobs):
        return None
    return TightQuota(latency_ms=latency_ms)
