"""`Phraseanet`: the public client for the Phraseanet API (v1, with v2/v3 where they add)."""

from __future__ import annotations

from typing import Any

import httpx

from asyncdam.decoding import DEFAULT_ON_INVALID, OnInvalid, check_on_invalid
from asyncdam.engine.arguments import (
    check_base_url_shape,
    check_bool,
    check_positive_int,
    check_secret,
)
from asyncdam.engine.errors import ConfigurationError, InvalidArgumentError
from asyncdam.engine.request import Request
from asyncdam.engine.service import ServiceBase
from asyncdam.engine.session import Engine
from asyncdam.phraseanet.baskets import Baskets
from asyncdam.phraseanet.databoxes import Collections, Databoxes
from asyncdam.phraseanet.dialect import PhraseanetDialect, install_root, user_agent
from asyncdam.phraseanet.envelope import payload, payload_dict
from asyncdam.phraseanet.feeds import Feeds
from asyncdam.phraseanet.me import Me
from asyncdam.phraseanet.oauth import TOKEN_PATH, OAuthTokenAuth, PasswordGrant, PasswordGrantAuth
from asyncdam.phraseanet.orders import Orders
from asyncdam.phraseanet.quarantine import Quarantine
from asyncdam.phraseanet.records import Records
from asyncdam.phraseanet.resource import ResourceGroup
from asyncdam.phraseanet.stories import Stories
from asyncdam.phraseanet.uploads import Downloads, Uploads

__all__ = ["Phraseanet"]


class Phraseanet(ServiceBase):
    """Async client: `async with Phraseanet("https://dam.example.org", token=...) as pn:`.

    `base_url` is the install (`https://host`, `https://host/api/` and `.../api/v1/` all work).
    Credentials: `token=` (developer or OAuth token) or `oauth=PasswordGrant(...)` (fetched on
    first use); either way sent as `Authorization: OAuth <token>`. Phraseanet has no documented
    rate limit: only `concurrency` requests run at once per host (default 2).
    `on_invalid` says what listings do with an item that is not an object or lacks its ids:
    "skip" (default: counted in `engine.stats.invalid_items`, logged, `invalid_item` hook),
    "raise" (`InvalidItemError` with the page and index) or "raw" (yield the raw value).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        oauth: PasswordGrant | None = None,
        engine: Engine | None = None,
        concurrency: int = 2,
        allow_insecure_http: bool = False,
        on_invalid: OnInvalid = DEFAULT_ON_INVALID,
        **engine_options: Any,
    ) -> None:
        policy = check_on_invalid(on_invalid)
        check_base_url_shape("base_url", base_url)
        check_bool("allow_insecure_http", allow_insecure_http)
        check_positive_int("concurrency", concurrency)
        root = install_root(base_url, allow_insecure_http=allow_insecure_http)
        auth: OAuthTokenAuth | PasswordGrantAuth
        if (token is None) == (oauth is None):
            raise ConfigurationError("Phraseanet needs exactly one of token= or oauth=")
        if token is not None:
            auth = OAuthTokenAuth(check_secret("token", token))
        elif isinstance(oauth, PasswordGrant):
            auth = PasswordGrantAuth(oauth, root.join(TOKEN_PATH))
        else:
            raise InvalidArgumentError(
                "oauth", f"must be a PasswordGrant, got {type(oauth).__name__}"
            )
        dialect = PhraseanetDialect(
            name="phraseanet",
            base_url=root.join("api/"),
            auth=auth,
            default_headers={"User-Agent": user_agent(), "Accept": "application/json"},
            credential_id=auth.credential_id,
            concurrency=concurrency,
            initial_rate=None,
        )
        super().__init__(dialect, engine, **engine_options)
        self.root: httpx.URL = root
        client = self._client
        self.records = Records(client, root)
        self.stories = Stories(client, root)
        self.databoxes = Databoxes(client, root)
        self.collections = Collections(client, root)
        self.baskets = Baskets(client, root)
        self.feeds = Feeds(client, root)
        self.quarantine = Quarantine(client, root)
        self.me = Me(client, root)
        self.orders = Orders(client, root)
        self.uploads = Uploads(client, root)
        self.downloads = Downloads(client, root)
        for group in vars(self).values():
            if isinstance(group, ResourceGroup):
                group._on_invalid = policy

    def __repr__(self) -> str:
        return f"Phraseanet(base_url={str(self.root)!r}, auth={self.dialect.auth!r})"

    async def api_info(self) -> dict[str, Any]:
        """What the server is: `GET /api/` (sent without the token).

        Returns the plain JSON (name, type, the API versions offered). No parameter is required. One
        request, no paging. A GET: retried after transport errors and retryable statuses (429, most
        5xx).
        """
        request = Request(method="GET", path="", authenticated=False, cacheable=False)
        return payload_dict(await self._client.send(request))

    async def hello_v3(self) -> Any:
        """A cheap authenticated check: `GET /api/v3/hello/` (answers `["hello"]`).

        Returns the unwrapped answer. No parameter is required; a bad token raises. A GET: retried
        after transport errors and retryable statuses (429, most 5xx).
        """
        request = Request(method="GET", path="v3/hello/", cacheable=False)
        return payload(await self._client.send(request))
