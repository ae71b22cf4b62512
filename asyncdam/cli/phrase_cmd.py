"""`asyncdam phrase export|pull|push`: bulk jobs against a Phrase Strings account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import click

from asyncdam.cli.credentials import Credentials, resolve, service_options
from asyncdam.cli.export import ExportArgs, ExportJob, export_options, run_export_command
from asyncdam.cli.output import Reporter, guarded, refuse_foreign_dir, show_plan
from asyncdam.engine.cache_storage import SQLiteCache
from asyncdam.engine.keys import key_secret_is_shared, using_key_secret
from asyncdam.engine.session import Engine

__all__ = ["phrase"]

DEFAULT_SERVER = "https://api.phrase.com/v2 (default)"
PULL_CACHE = ".asyncdam-cache.sqlite"  # in DEST: the ETags of the last pull, and its key secret


def _credentials(profile: str | None, base_url: str | None, token: str | None) -> Credentials:
    return resolve(
        "phrase",
        profile=profile,
        insecure_token=token,
        base_url=base_url,
        warn=lambda m: click.echo(m, err=True),
    )


def _client(creds: Credentials, engine: Engine | None = None, concurrency: int = 2) -> Any:
    from asyncdam.phrase import Phrase

    return Phrase(
        token=creds.token, base_url=creds.base_url, engine=engine, concurrency=concurrency
    )


def _plan(reporter: Reporter, creds: Credentials, lines: list[str]) -> None:
    where = creds.base_url or DEFAULT_SERVER
    show_plan(reporter, where, creds.source, creds.fingerprint, lines)


def _non_empty(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse a blank id before anything is sent (click prints it as a usage error)."""
    if not value.strip():
        raise click.BadParameter("must not be empty")
    return value


async def _check_locales(
    client: Any, project_id: str, branch: str | None, wanted: tuple[str, ...]
) -> None:
    """Refuse locales the project lacks, by name, before any download (one listing request).

    A 404 of the listing itself means the project is unknown (the caller's `not_found`).
    """
    known = [loc async for loc in client.locales.list(project_id, branch=branch)]
    names = {str(v) for loc in known for v in (loc.id, loc.name, loc.code) if v}
    missing = [w for w in wanted if w not in names]
    if missing:
        listed = ", ".join(sorted({str(loc.name or loc.code or loc.id) for loc in known}))
        raise ValueError(
            f"unknown locale {', '.join(map(repr, missing))} in project {project_id!r} "
            f"(its locales: {listed or 'none'})"
        )


@click.group()
def phrase() -> None:
    """Bulk jobs for Phrase Strings (credential: $ASYNCDAM_PHRASE_TOKEN or the config file)."""


@phrase.command("export")
@click.option("--project", "project_id", required=True, callback=_non_empty, help="Project id.")
@click.option("--branch", default=None, help="Branch name.")
@click.option("--query", "q", default=None, help="Key search query (Phrase `q`).")
@export_options()
def export(args: ExportArgs, project_id: str, branch: str | None, q: str | None) -> None:
    """Export every key of a project to JSON Lines; rerun after an interruption to resume."""

    def source(client: Any, cursor: dict[str, Any] | None) -> Any:
        return client.keys.list(project_id, branch=branch, q=q, cursor=cursor)

    run_export_command(
        args,
        ExportJob(
            service="phrase",
            noun="key",
            job=f"phrase:keys:{project_id}:{branch or ''}:{q or ''}",
            describe=f"export keys of {project_id}",
            connect=lambda creds, concurrency: _client(creds, concurrency=concurrency),
            source=source,
            default_server=DEFAULT_SERVER,
            not_found=f"unknown project {project_id!r}",
        ),
    )


@phrase.command("pull")
@click.option("--project", "project_id", required=True, callback=_non_empty, help="Project id.")
@click.option("-d", "--dest", type=click.Path(path_type=Path), required=True, help="Directory.")
@click.option("--format", "file_format", default="yml", show_default=True, help="File format.")
@click.option("--locale", "locales", multiple=True, help="Locale id or name (repeat; default all).")
@click.option("--branch", default=None, help="Branch name.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; send nothing.")
@click.option("--force", is_flag=True, help="Write into a DEST that holds files from elsewhere.")
@service_options
def pull(
    project_id: str,
    dest: Path,
    file_format: str,
    locales: tuple[str, ...],
    branch: str | None,
    dry_run: bool,
    force: bool,
    profile: str | None,
    base_url: str | None,
    token_insecure: str | None,
    debug: bool,
) -> None:
    """Download locale files; unchanged ones cost a free 304 (ETags kept in DEST)."""
    reporter = Reporter()
    with guarded(debug, what="phrase pull", not_found=f"unknown project {project_id!r}"):
        creds = _credentials(profile, base_url, token_insecure)
        state = dest / PULL_CACHE
        refuse_foreign_dir(dest, force=force, state=state, what="phrase pull")
        if dry_run:
            which = ", ".join(locales) if locales else "every locale"
            _plan(reporter, creds, [f"pull {which} of {project_id} as {file_format} -> {dest}"])
            return

        dest.mkdir(parents=True, exist_ok=True)

        async def main() -> None:
            cache = SQLiteCache(state)
            # Stored ETags match again only under the same key secret: the file keeps one.
            secret = None
            if not key_secret_is_shared():
                secret = await anyio.to_thread.run_sync(cache.stored_key_secret)
            with using_key_secret(secret):
                async with Engine(cache=cache) as engine, _client(creds, engine) as client:
                    if locales:
                        await _check_locales(client, project_id, branch, locales)
                    results = await client.pull(
                        project_id,
                        dest,
                        file_format=file_format,
                        locales=list(locales) or None,
                        branch=branch,
                    )
            changed = sum(1 for r in results if r.changed)
            for r in results:
                mark = "updated" if r.changed else "unchanged"
                reporter.line(f"  {r.locale_name}: {r.path.name} ({r.size} bytes, {mark})")
            reporter.line(f"phrase pull: {len(results)} locale(s), {changed} changed")

        anyio.run(main)


@phrase.command("push")
@click.option("--project", "project_id", required=True, callback=_non_empty, help="Project id.")
@click.option("--format", "file_format", required=True, help="File format of the files.")
@click.option("--locale", "locale_id", required=True, help="Locale id or name of the files.")
@click.option("--branch", default=None, help="Branch name.")
@click.option("--no-wait", is_flag=True, help="Do not wait for the uploads to be processed.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; send nothing.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@service_options
def push(
    project_id: str,
    file_format: str,
    locale_id: str,
    branch: str | None,
    no_wait: bool,
    dry_run: bool,
    files: tuple[str, ...],
    profile: str | None,
    base_url: str | None,
    token_insecure: str | None,
    debug: bool,
) -> None:
    """Upload locale files and (unless --no-wait) wait until Phrase processed them."""
    reporter = Reporter()
    with guarded(debug, what="phrase push", not_found=f"unknown project {project_id!r}"):
        creds = _credentials(profile, base_url, token_insecure)
        if dry_run:
            _plan(
                reporter,
                creds,
                [f"upload {f} as {file_format} to {project_id}/{locale_id}" for f in files],
            )
            return

        async def main() -> None:
            async with _client(creds) as client:
                uploads = await client.push(
                    project_id,
                    list(files),
                    file_format=file_format,
                    locale_id=locale_id,
                    wait=not no_wait,
                    branch=branch,
                )
            for up in uploads:
                reporter.line(f"  upload {up.id}: {up.filename} {up.state}")
            reporter.line(f"phrase push: {len(uploads)} file(s) uploaded")

        anyio.run(main)
