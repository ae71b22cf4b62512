"""`Phrase`: the public client for the Phrase Strings API v2."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from asyncdam.decoding import DEFAULT_ON_INVALID, OnInvalid, check_on_invalid
from asyncdam.engine.protocols import CacheStorage
from asyncdam.engine.service import ServiceBase
from asyncdam.engine.session import Engine
from asyncdam.phrase import models
from asyncdam.phrase.arguments import check_arguments
from asyncdam.phrase.auth import make_auth
from asyncdam.phrase.dialect import make_dialect
from asyncdam.phrase.downloads import download_locale_async, save_locale_async
from asyncdam.phrase.formats import register_formats
from asyncdam.phrase.polling import Backoff
from asyncdam.phrase.pull import PullResult, pull
from asyncdam.phrase.push import push
from asyncdam.phrase.resource_base import ResourceBase
from asyncdam.phrase.resources import ResourceGroups

__all__ = ["Phrase"]


class Phrase(ServiceBase, ResourceGroups):
    """Async client: `async with Phrase(token=...) as phrase:`; groups are attributes.

    `region` picks the EU (default) or US host; `base_url` overrides it (e.g. an emulator).
    Credentials: `token=` (sent as `Authorization: token T`, or as basic user with
    `token_as_basic=True`), or `email=` + `password=` (+ `otp=` for 2FA accounts).
    `on_invalid` says what listings do with an item that is not an object or has no id:
    "skip" (default: counted in `engine.stats.invalid_items`, logged, `invalid_item` hook),
    "raise" (`InvalidItemError` with the page and index) or "raw" (yield the raw value).
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        region: str = "eu",
        base_url: str | None = None,
        engine: Engine | None = None,
        concurrency: int = 2,
        user_agent_contact: str | None = None,
        email: str | None = None,
        password: str | None = None,
        otp: str | None = None,
        token_as_basic: bool = False,
        scope_per_project: bool = False,
        allow_insecure_http: bool = False,
        on_invalid: OnInvalid = DEFAULT_ON_INVALID,
        **engine_options: Any,
    ) -> None:
        policy = check_on_invalid(on_invalid)
        check_arguments(
            token=token,
            region=region,
            base_url=base_url,
            concurrency=concurrency,
            user_agent_contact=user_agent_contact,
            email=email,
            password=password,
            otp=otp,
            flags={
                "token_as_basic": token_as_basic,
                "scope_per_project": scope_per_project,
                "allow_insecure_http": allow_insecure_http,
            },
        )
        auth = make_auth(
            token=token, email=email, password=password, otp=otp, token_as_basic=token_as_basic
        )
        dialect = make_dialect(
            auth=auth,
            region=region,
            base_url=base_url,
            concurrency=concurrency,
            user_agent_contact=user_agent_contact,
            scope_per_project=scope_per_project,
            allow_insecure_http=allow_insecure_http,
        )
        super().__init__(dialect, engine, **engine_options)
        self._bind_resources(self._client, None)
        for group in vars(self).values():
            if isinstance(group, ResourceBase):
                group._on_invalid = policy

    def __repr__(self) -> str:
        return f"Phrase(base_url={str(self.dialect.base_url)!r}, auth={self.dialect.auth!r})"

    async def load_formats(self) -> list[models.Format]:
        """Fetch `GET /formats` (free) and accept every format it lists from now on."""
        formats = await self.formats.list()
        register_formats(f.api_name for f in formats if f.api_name)
        return formats

    async def pull(
        self,
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
        """Download locales to files concurrently; unchanged locales cost a free 304.

        `cache` (a storage or SQLite path) keeps validators across runs; see `pull.pull`.
        """
        return await pull(
            self,
            project_id,
            dest_dir,
            file_format=file_format,
            locales=locales,
            filename=filename,
            branch=branch,
            cache=cache,
            **download_options,
        )

    async def push(
        self,
        project_id: str,
        files: Sequence[str | os.PathLike[str]] | Mapping[str | os.PathLike[str], str],
        *,
        file_format: str,
        locale_id: str | None = None,
        wait: bool = True,
        branch: str | None = None,
        backoff: Backoff | None = None,
        **upload_options: Any,
    ) -> list[models.Upload]:
        """Upload files, then (with `wait`) poll until each upload succeeded or failed."""
        return await push(
            self,
            project_id,
            files,
            file_format=file_format,
            locale_id=locale_id,
            wait=wait,
            branch=branch,
            backoff=backoff,
            **upload_options,
        )

    async def download_locale_async(
        self,
        project_id: str,
        locale_id: str,
        *,
        file_format: str,
        backoff: Backoff | None = None,
        **options: Any,
    ) -> bytes:
        """Run the async export flow (create, poll, fetch); a 410 raises `DownloadExpired`."""
        return await download_locale_async(
            self, project_id, locale_id, file_format=file_format, backoff=backoff, **options
        )

    async def save_locale_async(
        self,
        project_id: str,
        locale_id: str,
        target: str | os.PathLike[str] | BinaryIO,
        *,
        file_format: str,
        backoff: Backoff | None = None,
        **options: Any,
    ) -> int:
        """The async export flow writing the file to `target` chunk by chunk (bounded by the
        engine's `max_download_bytes`); returns the bytes written. A path appears only complete
        (a `.part` file beside it, renamed on success, removed on failure or cancellation)."""
        return await save_locale_async(
            self, project_id, locale_id, target, file_format=file_format, backoff=backoff, **options
        )
