"""`asyncdam phraseanet export`: every record of a search to JSON Lines, optionally with files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import click

from asyncdam.cli.credentials import resolve, service_options
from asyncdam.cli.jobs import run_export
from asyncdam.cli.output import Reporter, fail, guarded, show_plan

__all__ = ["phraseanet"]


@click.group()
def phraseanet() -> None:
    """Bulk jobs for Phraseanet ($ASYNCDAM_PHRASEANET_TOKEN, $ASYNCDAM_PHRASEANET_BASE_URL)."""


def _file_name(record: Any, subdef: Any) -> str:
    original = Path(getattr(record, "original_name", None) or "").suffix
    suffix = original if subdef.name == "document" and original else ""
    # Ids only: a server-chosen name must never pick the path.
    return f"{int(record.databox_id)}_{int(record.record_id)}_{_safe(subdef.name)}{suffix}"


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text) or "_"


@phraseanet.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file.")
@click.option("--query", default="", help="Search query (default: every record).")
@click.option("--base", "bases", multiple=True, type=int, help="base_id to search (repeat).")
@click.option(
    "--resume-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Resume state file (default: OUTPUT.resume.json).",
)
@click.option(
    "--download",
    "download_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also save each record's file (subdef) into this directory.",
)
@click.option("--subdef", default="document", show_default=True, help="Subdef to download.")
@click.option("--concurrency", default=2, show_default=True, help="Requests in flight at once.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; send nothing.")
@service_options
def export(
    output: Path,
    query: str,
    bases: tuple[int, ...],
    resume_file: Path | None,
    download_dir: Path | None,
    subdef: str,
    concurrency: int,
    dry_run: bool,
    profile: str | None,
    base_url: str | None,
    token_insecure: str | None,
    debug: bool,
) -> None:
    """Export the records of a search (all by default); rerun after an interruption to resume."""
    reporter = Reporter()
    resume = resume_file or output.with_name(output.name + ".resume.json")
    with guarded(debug, what="phraseanet export"):
        creds = resolve(
            "phraseanet",
            profile=profile,
            insecure_token=token_insecure,
            base_url=base_url,
            warn=lambda m: click.echo(m, err=True),
        )
        if not creds.base_url:
            fail(
                "phraseanet export: no server; pass --base-url or set ASYNCDAM_PHRASEANET_BASE_URL"
            )
        if dry_run:
            state = f"resume from {resume}" if resume.exists() else "fresh start"
            lines = [f"search {query!r} in bases {list(bases) or 'all'} -> {output} ({state})"]
            if download_dir is not None:
                lines.append(f"save subdef {subdef!r} of each record into {download_dir}")
            show_plan(reporter, creds.base_url, creds.source, creds.fingerprint, lines)
            return
        if download_dir is not None:
            download_dir.mkdir(parents=True, exist_ok=True)

        async def main() -> None:
            from asyncdam.phraseanet import Phraseanet

            async with Phraseanet(
                creds.base_url or "", token=creds.token, concurrency=concurrency
            ) as pn:

                def source(cursor: dict[str, Any] | None) -> Any:
                    return pn.records.search(
                        query=query,
                        bases=list(bases) or None,
                        extended=download_dir is not None,
                        cursor=cursor,
                    )

                async def save(record: Any) -> None:
                    if download_dir is None:
                        return
                    wanted = [s for s in record.subdefs or () if s.name == subdef]
                    if wanted:
                        # Written via a temporary name: a resumed batch just overwrites it.
                        await pn.downloads.save(
                            wanted[0], download_dir / _file_name(record, wanted[0])
                        )

                with reporter.session():
                    result = await run_export(
                        source,
                        output,
                        resume_file=resume,
                        job=f"phraseanet:search:{query}:{sorted(bases)}:{download_dir is not None}",
                        on_item=save,
                        progress=reporter.task("phraseanet records"),
                    )
            verb = "resumed, " if result.resumed else ""
            reporter.line(
                f"phraseanet export: {verb}{result.written} record(s) written this run, "
                f"{result.total_written} in {output}"
            )

        anyio.run(main)
