"""`asyncdam phraseanet export`: every record of a search to JSON Lines, optionally with files."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import click

from asyncdam.cli.credentials import Credentials
from asyncdam.cli.export import ExportArgs, ExportJob, export_options, run_export_command, safe_name

__all__ = ["phraseanet"]


@click.group()
def phraseanet() -> None:
    """Bulk jobs for Phraseanet ($ASYNCDAM_PHRASEANET_TOKEN, $ASYNCDAM_PHRASEANET_BASE_URL)."""


def _file_name(record: Any, subdef: Any) -> str:
    original = Path(getattr(record, "original_name", None) or "").suffix
    suffix = original if subdef.name == "document" and original else ""
    # Ids only: a server-chosen name must never pick the path.
    return f"{int(record.databox_id)}_{int(record.record_id)}_{safe_name(subdef.name)}{suffix}"


def _record_key(record: Any) -> object:
    """The id a written record was deduplicated on (`databox_id:record_id`)."""
    from asyncdam.phraseanet.search import item_key

    return item_key(record)


def _connect(creds: Credentials, concurrency: int) -> AbstractAsyncContextManager[Any]:
    from asyncdam.phraseanet import Phraseanet

    return Phraseanet(creds.base_url or "", token=creds.token, concurrency=concurrency)


@phraseanet.command("export")
@click.option("--query", default="", help="Search query (default: every record).")
@click.option("--base", "bases", multiple=True, type=int, help="base_id to search (repeat).")
@click.option("--subdef", default="document", show_default=True, help="Subdef to download.")
@export_options(download_help="Also save each record's file (subdef) into this directory.")
def export(args: ExportArgs, query: str, bases: tuple[int, ...], subdef: str) -> None:
    """Export the records of a search (all by default); rerun after an interruption to resume."""
    download_dir = args.download_dir

    def source(pn: Any, cursor: dict[str, Any] | None) -> Any:
        return pn.records.search(
            query=query, bases=list(bases) or None, extended=download_dir is not None, cursor=cursor
        )

    async def save(pn: Any, record: Any) -> None:
        wanted = [s for s in record.subdefs or () if s.name == subdef]
        if download_dir is not None and wanted:
            # Written via a temporary name: a resumed batch just overwrites it.
            await pn.downloads.save(wanted[0], download_dir / _file_name(record, wanted[0]))

    run_export_command(
        args,
        ExportJob(
            service="phraseanet",
            noun="record",
            job=f"phraseanet:search:{query}:{sorted(bases)}:{download_dir is not None}",
            describe=f"search {query!r} in bases {list(bases) or 'all'}",
            connect=_connect,
            source=source,
            save=save,
            download_plan=f"save subdef {subdef!r} of each record",
            record_id=_record_key,
        ),
    )
