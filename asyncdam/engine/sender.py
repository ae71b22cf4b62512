"""Sending one httpx request through the pooled client's transport, without the client's layers.

`httpx.AsyncClient.send` wraps every exchange in machinery the engine does not use: a redirect
loop (the engine decides redirects itself), a cookie jar (the engine keeps none: credentials are
explicit, and one engine may serve several credentials a shared jar would mix), event hooks, a
stream wrapper timing the body, client-state checks. `Sender` keeps what matters, with the same
meaning: the transport httpx would pick for the URL (proxy and NO_PROXY mounts included), the
client's timeout when the request has none, the auth flow driven as httpx drives it, and
`response.request` set.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

__all__ = ["Sender", "TransportPicker", "transport_route"]

TransportPicker = Callable[[httpx.URL], httpx.AsyncBaseTransport]
_DEFAULT_ASYNC_FLOW = httpx.Auth.async_auth_flow


def transport_route(
    client: httpx.AsyncClient,
) -> tuple[httpx.AsyncBaseTransport | None, TransportPicker] | None:
    """How `client` chooses the transport for a URL, read once: the one transport every URL goes
    to when no mount applies (else None) and the per-URL choice; None when this httpx no longer
    keeps them where expected (every request then goes through `client.send`).

    The only place that reads httpx private attributes (`_transport`, `_mounts`,
    `_transport_for_url`): the mounts come from `proxy=` and, with `trust_env=True`, from
    HTTP(S)_PROXY / ALL_PROXY / NO_PROXY, which httpx resolves into URL patterns of its own.
    """
    default = getattr(client, "_transport", None)
    mounts = getattr(client, "_mounts", None)
    pick = getattr(client, "_transport_for_url", None)
    if not hasattr(default, "handle_async_request") or not isinstance(mounts, dict):
        return None
    if not callable(pick):
        return None
    fixed: httpx.AsyncBaseTransport | None = None if mounts else default
    return fixed, pick


class Sender:
    """The engine's way onto the network: one exchange through the right pooled transport.

    The response comes back with its body unread (as `client.send(..., stream=True)`); the caller
    reads or closes it.
    """

    __slots__ = ("_fixed", "_pick", "_timeout", "client")

    def __init__(self, client: httpx.AsyncClient) -> None:
        """Work out, once, how `client` routes and times requests."""
        self.client = client
        self._timeout = client.timeout.as_dict()
        route = transport_route(client)
        # Without mounts every URL goes to one transport: no per-request lookup at all.
        self._fixed: httpx.AsyncBaseTransport | None = None
        self._pick: TransportPicker | None = None
        if route is not None:
            self._fixed, self._pick = route

    @property
    def lean(self) -> bool:
        """Whether requests bypass `client.send` (False only if httpx changed its internals)."""
        return self._pick is not None

    async def send(self, request: httpx.Request, auth: httpx.Auth | None) -> httpx.Response:
        """Send `request` under `auth` (None: none, unless the URL carries user info, as in httpx)
        and return the response with its body unread."""
        if self._pick is None:
            return await self.client.send(request, auth=auth, stream=True)
        if auth is None:
            if not request.url.userinfo:
                return await self._once(request)
            auth = httpx.BasicAuth(request.url.username, request.url.password)
        if type(auth).async_auth_flow is _DEFAULT_ASYNC_FLOW:
            return await self._sync_flow(request, auth)
        return await self._async_flow(request, auth)

    async def _once(self, request: httpx.Request) -> httpx.Response:
        if "timeout" not in request.extensions:
            request.extensions["timeout"] = dict(self._timeout)
        transport = self._fixed
        if transport is None:
            assert self._pick is not None
            transport = self._pick(request.url)
        try:
            response = await transport.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as the client does, for anyone reading the failure
            raise
        response.request = request
        return response

    async def _sync_flow(self, request: httpx.Request, auth: httpx.Auth) -> httpx.Response:
        """`auth.auth_flow` driven directly: what `Auth.async_auth_flow` and the client's auth
        loop do together, without the async generator between them."""
        if auth.requires_request_body:
            await request.aread()
        flow = auth.auth_flow(request)
        try:
            request = next(flow)
            while True:
                response = await self._once(request)
                try:
                    if auth.requires_response_body:
                        await response.aread()
                    try:
                        next_request = flow.send(response)
                    except StopIteration:
                        return response
                    await response.aread()  # an intermediate answer is read, as httpx does
                    request = next_request
                except BaseException:
                    await response.aclose()
                    raise
        finally:
            flow.close()

    async def _async_flow(self, request: httpx.Request, auth: httpx.Auth) -> httpx.Response:
        """An auth with its own `async_auth_flow` (locks, token fetches): the generator protocol
        followed step by step as `AsyncClient` follows it."""
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = await self._once(request)
                try:
                    try:
                        next_request = await flow.asend(response)
                    except StopAsyncIteration:
                        return response
                    await response.aread()
                    request = next_request
                except BaseException:
                    await response.aclose()
                    raise
        finally:
            await flow.aclose()
