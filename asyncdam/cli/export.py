"""What the `export` commands of the three services share: options, the plan and the job run.

A service's module declares only what differs (its options, its listing, what to save per item)
as an `ExportJob`; `run_export_command` resolves the credential, prints the dry-run plan or runs
the resumable job, and prints the summary line.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio
import attrs
import click

from asyncdam.cli.credentials import Credentials, resolve, service_options
from asyncdam.cli.jobs import CursorSource, record_field_id, run_export
from asyncdam.cli.output import Reporter, fail, guarded, refuse_overwrite, show_plan

__all__ = ["ExportArgs", "ExportJob", "export_options", "run_export_command", "safe_name"]


@attrs.frozen
class ExportArgs:
    """The options every export command takes, as given on the command line."""

    output: Path
    resume_file: Path | None
    download_dir: Path | None
    concurrency: int
    dry_run: bool
    profile: str | None
    base_url: str | None
    token_insecure: str | None = attrs.field(repr=False)
    debug: bool
    force: bool = False  # overwrite an existing OUTPUT that has no resume state

    @property
    def resume(self) -> Path:
        """The resume state file: `--resume-file`, else OUTPUT.resume.json beside the output."""
        return self.resume_file or self.output.with_name(self.output.name + ".resume.json")


@attrs.frozen
class ExportJob:
    """What one service's export differs in; `run_export_command` does the rest.

    `connect(creds, concurrency)` opens the service client; `source(client, cursor)` returns the
    resumable listing; `save(client, item)`, when given, runs per item while `--download` is set.
    `record_id(record)` reads an item's id back from its written JSON line (default: `"id"`),
    the id the listing deduplicates on: a resumed run writes no item twice.
    """

    service: str
    noun: str
    job: str
    describe: str
    connect: Callable[[Credentials, int], AbstractAsyncContextManager[Any]]
    source: Callable[[Any, dict[str, Any] | None], CursorSource]
    save: Callable[[Any, Any], Awaitable[None]] | None = None
    download_plan: str = ""
    default_server: str | None = None
    not_found: str = ""
    check: Callable[[Credentials], object] | None = None
    record_id: Callable[[Any], object] | None = None


_SHARED = (
    "output",
    "resume_file",
    "download_dir",
    "concurrency",
    "dry_run",
    "force",
    "profile",
    "base_url",
    "token_insecure",
    "debug",
)


def export_options(
    download_help: str | None = None,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the shared export options; the command receives them bundled as `args: ExportArgs`.

    `download_help` adds `--download DIR` with that help text (services that have files).
    """

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def command(**kwargs: Any) -> None:
            shared = {name: kwargs.pop(name, None) for name in _SHARED}
            func(ExportArgs(**shared), **kwargs)

        options = [
            click.option(
                "-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file."
            ),
            click.option(
                "--resume-file",
                type=click.Path(path_type=Path),
                default=None,
                help="Resume state file (default: OUTPUT.resume.json).",
            ),
        ]
        if download_help is not None:
            options.append(
                click.option(
                    "--download",
                    "download_dir",
                    type=click.Path(path_type=Path, file_okay=False),
                    default=None,
                    help=download_help,
                )
            )
        options += [
            click.option(
                "--concurrency", default=2, show_default=True, help="Requests in flight at once."
            ),
            click.option("--dry-run", is_flag=True, help="Show what would happen; send nothing."),
            click.option(
                "--force",
                is_flag=True,
                help="Overwrite OUTPUT when it exists without resume state (a finished export).",
            ),
        ]
        # Applied innermost first, so --help lists the service options last.
        wrapped: Callable[..., None] = service_options(command)
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return decorate


def safe_name(text: str) -> str:
    """`text` reduced to a harmless file name part: letters, digits, `-_.`, no leading dot."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).lstrip(".") or "_"


def _changed_note(stats: Any, noun: str) -> str:
    """A note when the collection changed during the export (counted by the engine)."""
    passes = stats.reconciliation_passes
    if not stats.listing_drift and not passes:
        return ""
    found = stats.reconciled_items
    return (
        f" (the data changed during the export: {passes} extra pass(es) over the listing, "
        f"{found} {noun}(s) found by them)"
    )


def run_export_command(args: ExportArgs, job: ExportJob) -> None:
    """Resolve the credential, then show the dry-run plan or run the resumable export."""
    reporter = Reporter()
    resume = args.resume
    with guarded(args.debug, what=f"{job.service} export", not_found=job.not_found):
        creds = resolve(
            job.service,
            profile=args.profile,
            insecure_token=args.token_insecure,
            base_url=args.base_url,
            warn=lambda m: click.echo(m, err=True),
        )
        if job.check is not None:
            job.check(creds)
        server = creds.base_url or job.default_server
        if not server:
            fail(
                f"{job.service} export: no server; pass --base-url or set "
                f"ASYNCDAM_{job.service.upper()}_BASE_URL"
            )
        download_dir = args.download_dir if job.save is not None else None
        what = f"{job.service} export"
        refuse_overwrite(args.output, force=args.force, resuming=resume.exists(), what=what)
        if args.dry_run:
            state = f"resume from {resume}" if resume.exists() else "fresh start"
            lines = [f"{job.describe} -> {args.output} ({state})"]
            if download_dir is not None and job.download_plan:
                lines.append(f"{job.download_plan} into {download_dir}")
            show_plan(reporter, server, creds.source, creds.fingerprint, lines)
            return
        if download_dir is not None:
            download_dir.mkdir(parents=True, exist_ok=True)

        async def main() -> None:
            async with job.connect(creds, args.concurrency) as client:

                async def on_item(item: Any) -> None:
                    if job.save is not None and download_dir is not None:
                        await job.save(client, item)

                with reporter.session():
                    result = await run_export(
                        lambda cursor: job.source(client, cursor),
                        args.output,
                        resume_file=resume,
                        job=job.job,
                        on_item=on_item if download_dir is not None else None,
                        progress=reporter.task(f"{job.service} {job.noun}s"),
                        record_id=job.record_id or record_field_id,
                    )
                stats = client.engine.stats
            verb = "resumed, " if result.resumed else ""
            reporter.line(
                f"{job.service} export: {verb}{result.written} {job.noun}(s) written this run, "
                f"{result.total_written} in {args.output}{_changed_note(stats, job.noun)}"
            )

        anyio.run(main)
