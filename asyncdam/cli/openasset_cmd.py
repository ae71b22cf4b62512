"""`asyncdam openasset export`: files (all or filtered) to JSON Lines, optionally with bytes."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import click

from asyncdam.cli.credentials import Credentials
from asyncdam.cli.export import ExportArgs, ExportJob, export_options, run_export_command, safe_name

__all__ = ["openasset"]


@click.group()
def openasset() -> None:
    """Bulk jobs for OpenAsset ($ASYNCDAM_OPENASSET_TOKEN as ID:SECRET, ..._BASE_URL)."""


def _file_fields() -> frozenset[str]:
    """File fields a filter may name (the server ignores unknown ones, so all files would match)."""
    from asyncdam.openasset.models import File
    from asyncdam.openasset.nouns import NOUNS, field_names

    nested = {n.expansion for n in NOUNS["Files"].nested.values() if n.expansion}
    return frozenset(field_names(File)) - nested - {"fields"}


def _filters(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = _file_fields()
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--filter")
        if name not in known:
            raise click.BadParameter(
                f"files have no field {name!r} (known: {', '.join(sorted(known))})",
                param_hint="--filter",
            )
        out[name] = value
    return out


def _connect(creds: Credentials, concurrency: int) -> AbstractAsyncContextManager[Any]:
    from asyncdam.openasset import OpenAsset

    return OpenAsset(creds.base_url or "", token=creds.openasset_pair(), concurrency=concurrency)


@openasset.command("export")
@click.option("--project-id", type=int, default=None, help="Only files of this project.")
@click.option("--filter", "filters", multiple=True, help="FIELD=VALUE filter (repeat).")
@click.option(
    "--order-by",
    default="id",
    show_default=True,
    help="Sort order; keep it stable (e.g. id) so a resumed offset points at the same item.",
)
@click.option(
    "--size",
    "size_id",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Size id (1: original).",
)
@export_options(download_help="Also save each file's bytes into this directory.")
def export(
    args: ExportArgs,
    project_id: int | None,
    filters: tuple[str, ...],
    order_by: str,
    size_id: int,
) -> None:
    """Export files (all by default); rerun after an interruption to resume."""
    where = _filters(filters)
    if project_id is not None:
        where["project_id"] = project_id
    download_dir = args.download_dir

    def source(oa: Any, cursor: dict[str, Any] | None) -> Any:
        return oa.files.list(order_by=order_by, cursor=cursor, **where)

    async def save(oa: Any, item: Any) -> None:
        if download_dir is None or item.id is None:
            return
        name = f"{int(item.id)}_{safe_name(item.original_filename or item.filename or '')}"
        # Written to a .part file and renamed: a resumed batch just overwrites it.
        await oa.files.download_to(int(item.id), download_dir / name, size_id)

    run_export_command(
        args,
        ExportJob(
            service="openasset",
            noun="file",
            job=f"openasset:files:{sorted(where.items())}:{order_by}",
            describe=f"list files {where or '(all)'} ordered by {order_by}",
            connect=_connect,
            source=source,
            save=save,
            download_plan=f"save size {size_id} of each file",
            check=Credentials.openasset_pair,
        ),
    )
