"""`asyncdam openasset export`: files (all or filtered) to JSON Lines, optionally with bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import click

from asyncdam.cli.credentials import resolve, service_options
from asyncdam.cli.jobs import run_export
from asyncdam.cli.output import Reporter, fail, guarded, show_plan

__all__ = ["openasset"]


@click.group()
def openasset() -> None:
    """Bulk jobs for OpenAsset ($ASYNCDAM_OPENASSET_TOKEN as ID:SECRET, ..._BASE_URL)."""


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).lstrip(".") or "_"


def _filters(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--filter")
        out[name] = value
    return out


@openasset.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file.")
@click.option("--project-id", type=int, default=None, help="Only files of this project.")
@click.option("--filter", "filters", multiple=True, help="FIELD=VALUE filter (repeat).")
@click.option(
    "--order-by",
    default="id",
    show_default=True,
    help="Sort order; keep it stable (e.g. id) so a resumed offset points at the same item.",
)
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
    help="Also save each file's bytes into this directory.",
)
@click.option("--size", "size_id", default=1, show_default=True, help="Size id (1: original).")
@click.option("--concurrency", default=2, show_default=True, help="Requests in flight at once.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; send nothing.")
@service_options
def export(
    output: Path,
    project_id: int | None,
    filters: tuple[str, ...],
    order_by: str,
    resume_file: Path | None,
    download_dir: Path | None,
    size_id: int,
    concurrency: int,
    dry_run: bool,
    profile: str | None,
    base_url: str | None,
    token_insecure: str | None,
    debug: bool,
) -> None:
    """Export files (all by default); rerun after an interruption to resume."""
    reporter = Reporter()
    resume = resume_file or output.with_name(output.name + ".resume.json")
    where = _filters(filters)
    if project_id is not None:
        where["project_id"] = project_id
    with guarded(debug, what="openasset export"):
        creds = resolve(
            "openasset",
            profile=profile,
            insecure_token=token_insecure,
            base_url=base_url,
            warn=lambda m: click.echo(m, err=True),
        )
        token = creds.openasset_pair()
        if not creds.base_url:
            fail("openasset export: no server; pass --base-url or set ASYNCDAM_OPENASSET_BASE_URL")
        if dry_run:
            state = f"resume from {resume}" if resume.exists() else "fresh start"
            lines = [f"list files {where or '(all)'} ordered by {order_by} -> {output} ({state})"]
            if download_dir is not None:
                lines.append(f"save size {size_id} of each file into {download_dir}")
            show_plan(reporter, creds.base_url, creds.source, creds.fingerprint, lines)
            return
        if download_dir is not None:
            download_dir.mkdir(parents=True, exist_ok=True)

        async def main() -> None:
            from asyncdam.openasset import OpenAsset

            async with OpenAsset(creds.base_url or "", token=token, concurrency=concurrency) as oa:

                def source(cursor: dict[str, Any] | None) -> Any:
                    return oa.files.list(order_by=order_by, cursor=cursor, **where)

                async def save(item: Any) -> None:
                    if download_dir is None or item.id is None:
                        return
                    name = f"{int(item.id)}_{_safe(item.original_filename or item.filename or '')}"
                    # Written to a .part file and renamed: a resumed batch just overwrites it.
                    await oa.files.download_to(int(item.id), download_dir / name, size_id)

                with reporter.session():
                    result = await run_export(
                        source,
                        output,
                        resume_file=resume,
                        job=f"openasset:files:{sorted(where.items())}:{order_by}",
                        on_item=save,
                        progress=reporter.task("openasset files"),
                    )
            verb = "resumed, " if result.resumed else ""
            reporter.line(
                f"openasset export: {verb}{result.written} file(s) written this run, "
                f"{result.total_written} in {output}"
            )

        anyio.run(main)
