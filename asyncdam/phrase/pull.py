"""`phrase.pull`: download every locale of a project to files, concurrently and revalidated.

Each download is a conditional GET through the engine cache, so a locale that did not change is
answered by a free 304 and its file is left untouched (a persistent `SQLiteCache` makes that hold
across runs of a sync job).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from asyncdam.engine.cache_storage import SQLiteCache
from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.protocols import CacheStorage
from asyncdam.engine.session import Engine, ServiceClient
from asyncdam.phrase._runtime import build_request
from asyncdam.phrase._tasks import run_all
from asyncdam.phrase.formats import check_file_format
from asyncdam.phrase.resources.locales import _LOCALE_DOWNLOAD as _DOWNLOAD
from asyncdam.phrase.resources.locales import LocalesResource

if TYPE_CHECKING:
    from asyncdam.phrase.host import PhraseHost

__all__ = ["PullResult", "pull", "safe_filename"]

EXTENSIONS = {
    "yml": "yml", "yml_symfony": "yml", "yml_symfony2": "yml", "simple_json": "json",
    "nested_json": "json", "react_simple_json": "json", "react_nested_json": "json",
    "i18next": "json", "i18next_4": "json", "node_json": "json", "angular_translate": "json",
    "go_i18n": "json", "gettext": "po", "gettext_template": "pot", "gettext_mo": "mo",
    "android": "xml", "strings": "strings", "stringsdict": "stringsdict", "xlf": "xlf",
    "xliff_2": "xlf", "resx": "resx", "properties": "properties", "csv": "csv", "xlsx": "xlsx",
    "php_array": "php", "laravel": "php", "arb": "arb", "ts": "ts", "tmx": "tmx", "ini": "ini",
    "plist": "plist", "xcstrings": "xcstrings",
}  # fmt: skip

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


@attrs.frozen
class PullResult:
    """One locale's outcome: where it went and whether the file changed."""

    locale_id: str
    locale_name: str
    path: Path
    changed: bool
    size: int


def safe_filename(name: str) -> str:
    """A file name that cannot leave the target directory (no separators, no dot-dot)."""
    cleaned = _UNSAFE.sub("_", name).lstrip(".")
    return cleaned or "_"


async def pull(
    phrase: PhraseHost,
    project_id: str,
    dest_dir: str | os.PathLike[str],
    *,
    file_format: str = "yml",
    locales: Sequence[str] | None = None,
    filename: str = "{locale_name}.{extension}",
    branch: str | None = None,
    cache: CacheStorage | str | os.PathLike[str] | None = None,
    **download_options: Any,
) -> list[PullResult]:
    """Download the given locales (ids or names; default: all) into `dest_dir`.

    `cache` (a `CacheStorage` or a SQLite file path) runs this pull on a dedicated engine with
    that storage, so validators survive between runs; without it the client's engine cache is
    used (configure `Phrase(..., cache=SQLiteCache(path))` to share one limiter as well).
    """
    check_file_format(file_format)
    if cache is None:
        return await _pull(
            phrase._client,
            project_id,
            dest_dir,
            file_format,
            locales,
            filename,
            branch,
            download_options,
        )
    storage = SQLiteCache(cache) if isinstance(cache, str | os.PathLike) else cache
    async with Engine(cache=storage) as engine:
        return await _pull(
            engine.bind(phrase.dialect),
            project_id,
            dest_dir,
            file_format,
            locales,
            filename,
            branch,
            download_options,
        )


async def _pull(
    client: ServiceClient,
    project_id: str,
    dest_dir: str | os.PathLike[str],
    file_format: str,
    locales: Sequence[str] | None,
    filename: str,
    branch: str | None,
    download_options: dict[str, Any],
) -> list[PullResult]:
    target = _ensure_dir(dest_dir)
    if locales is None:
        listing = LocalesResource(client).list(project_id, branch=branch)
        found = [loc async for loc in listing]
        pairs = [(loc.id or "", loc.name or loc.code or loc.id or "") for loc in found]
    else:
        pairs = [(loc, loc) for loc in locales]
    if any(not lid for lid, _ in pairs):
        raise InvalidRequestError("every locale needs an id")
    results: list[PullResult | None] = [None] * len(pairs)
    extension = EXTENSIONS.get(file_format, file_format)

    async def one(index: int, locale_id: str, locale_name: str) -> None:
        name = filename.format(locale_name=locale_name, locale_id=locale_id, extension=extension)
        path = target / safe_filename(name)
        args = {"project_id": project_id, "id": locale_id, "file_format": file_format}
        request = build_request(_DOWNLOAD, {**args, "branch": branch, **download_options})
        response = await client.send(request)
        changed = not (response.from_cache and _exists(path))
        if changed:
            _write_atomic(path, response.content)
        results[index] = PullResult(locale_id, locale_name, path, changed, len(response.content))

    await run_all([partial(one, i, lid, lname) for i, (lid, lname) in enumerate(pairs)])
    return [r for r in results if r is not None]


def _exists(path: Path) -> bool:
    return path.exists()


def _ensure_dir(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
