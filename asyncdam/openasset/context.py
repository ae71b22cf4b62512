"""What resource groups share: the engine client, the dialect, paging and concurrency settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio

from asyncdam.engine.errors import DecodeError, Unauthorized
from asyncdam.engine.request import Request, Response
from asyncdam.engine.session import ServiceClient
from asyncdam.openasset.converter import structure
from asyncdam.openasset.dialect import OpenAssetDialect
from asyncdam.openasset.versions import FIELD_GATES, Version, require

PROBE_PATH = "Headers"
LONG_QUERY = 1024  # past this many characters, query strings travel as a POST form (>= 9.0.0)


class Context:
    """Shared state of one `OpenAsset` client; resource groups hold a reference to it."""

    def __init__(
        self,
        client: ServiceClient,
        dialect: OpenAssetDialect,
        *,
        page_size: int,
        concurrency: int,
        token_auth: bool = False,
    ) -> None:
        self.client = client
        self.token_auth = token_auth
        self.dialect = dialect
        self.page_size = page_size
        self.concurrency = concurrency
        self._probe_lock = anyio.Lock()

    async def send(self, request: Request) -> Response:
        """Send through the engine (limiter, retries, typed errors).

        A 401 to token auth from a server older than 10.3.12 becomes `FeatureNotSupported`:
        such servers have no OATU tokens, so the credential is not the problem.
        """
        try:
            return await self.client.send(request)
        except Unauthorized:
            if self.token_auth:
                require("OATU token authentication", self.dialect.server_version)
            raise

    async def server_version(self) -> Version | None:
        """The server's version; a cheap HEAD on the probe path learns it when still unknown."""
        if self.dialect.server_version is None:
            async with self._probe_lock:
                if self.dialect.server_version is None:
                    response = await self.send(Request(method="HEAD", path=PROBE_PATH))
                    self.dialect.note_version(response.headers)
        return self.dialect.server_version

    async def require(self, feature: str) -> None:
        """Raise `FeatureNotSupported` when the server is too old for `feature`."""
        require(feature, await self.server_version())

    async def require_fields(self, names: Iterable[str]) -> None:
        """Refuse field names (filters, field lists, writes) the server's version lacks."""
        for name in names:
            if name in FIELD_GATES:
                await self.require(name)


def json_of(response: Response) -> Any:
    """The decoded JSON body (charset as declared)."""
    return response.json()


def decode_list(response: Response, model: type[Any]) -> list[Any]:
    """A JSON array of objects as models."""
    body = json_of(response)
    # Items are checked here: a non-object item would otherwise surface as a raw cattrs error.
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise DecodeError(
            "expected a JSON array of objects",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return [structure(item, model) for item in body]


def decode_one(response: Response, model: type[Any]) -> Any:
    """One object (some servers wrap it in a one-element array)."""
    body = json_of(response)
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        raise DecodeError(
            "expected a JSON object",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    return structure(body, model)
