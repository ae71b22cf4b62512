"""What resource groups share: the engine client, the dialect, paging and concurrency settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio

from asyncdam.decoding import DEFAULT_ON_INVALID, DecodedItems, ItemRejected, OnInvalid
from asyncdam.engine.errors import DecodeError, Unauthorized, error_class_for
from asyncdam.engine.request import Request, Response
from asyncdam.engine.session import ServiceClient
from asyncdam.openasset.converter import decoder
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
        on_invalid: OnInvalid = DEFAULT_ON_INVALID,
    ) -> None:
        self.client = client
        self.on_invalid: OnInvalid = on_invalid
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


def decode_list(response: Response, model: type[Any], ctx: Context) -> DecodedItems[Any]:
    """A JSON array of objects as models; bad items isolated by the client's `on_invalid`.

    Invalid items are counted and reported on the engine when the page is finished (the
    paginator does it with the page index; other callers `await items.finish_page(0)`).
    """
    body = json_of(response)
    if not isinstance(body, list):
        raise DecodeError(
            "expected a JSON array of objects",
            method=response.method,
            url=response.url,
            body=response.content,
        )
    items = decoder.items(body, model, on_invalid=ctx.on_invalid)
    return items.bind_response(ctx.client.engine, response)


def decode_one(response: Response, model: type[Any]) -> Any:
    """One object (some servers wrap it in a one-element array).

    A 200 whose body is an error object (`error_message` + `http_status_code`) raises the typed
    error of that status; an object without its `id` is a `DecodeError`, never `id=None`.
    """
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
    _raise_embedded_error(body, response)
    try:
        return decoder.item(body, model)
    except ItemRejected as exc:
        raise DecodeError(
            str(exc), method=response.method, url=response.url, body=response.content
        ) from None


def _raise_embedded_error(body: dict[str, Any], response: Response) -> None:
    """Old servers answer some failures with 200 and `{"error_message", "http_status_code"}`."""
    if "error_message" not in body or "id" in body:
        return
    try:
        status = int(str(body.get("http_status_code", "")).strip())
    except ValueError:
        status = 0
    message = str(body["error_message"])[:500]
    if status >= 400:
        raise error_class_for(status)(
            message, status=status, method=response.method, url=response.url, body=body
        )
    raise DecodeError(
        f"an error object where a result was expected: {message}",
        method=response.method,
        url=response.url,
        body=response.content,
    )
