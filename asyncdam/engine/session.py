"""The Engine: one pooled HTTP client, one limiter, one cache, one retry policy for all adapters.

Each call runs within its limits (`asyncdam.engine.limits`): redirects are decided by
`redirects`, bodies are read by `body` within a byte limit, time is budgeted by `deadline`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import attrs
import httpx

from asyncdam.engine.body import read_limited
from asyncdam.engine.cache import ConditionalCache, cache_key
from asyncdam.engine.cache_storage import MemoryCache
from asyncdam.engine.clock import Clock, SystemClock
from asyncdam.engine.config import check_engine_args, http_client, reject_unknown
from asyncdam.engine.deadline import CallBudget
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import (
    AsyncDamError,
    ConfigurationError,
    DecodeError,
    RateLimited,
    TransportError,
)
from asyncdam.engine.events import EngineStats, Event, Hooks, logger
from asyncdam.engine.limiter import LocalLimiter, LocalPermit
from asyncdam.engine.limits import DEFAULT_LIMITS, Limits
from asyncdam.engine.outcomes import (
    Held,
    Retryable,
    acquire_permit,
    deadline_error,
    redirect_error,
    shown_proxy,
    step_timeout,
)
from asyncdam.engine.pagination import ListingMonitor, Paginator
from asyncdam.engine.protocols import CacheStorage, LimiterBackend
from asyncdam.engine.redact import redact_url
from asyncdam.engine.redirects import decide_redirect
from asyncdam.engine.request import Request, Response
from asyncdam.engine.retry import RetryBudget, RetryDecision, RetryPolicy
from asyncdam.engine.sender import Sender
from asyncdam.engine.stream_call import open_stream
from asyncdam.engine.streaming import StreamedResponse, open_external
from asyncdam.engine.wire import (
    RECEIVE_ERRORS,
    WireCache,
    build_request,
    transport_error,
    was_sent,
)

if TYPE_CHECKING:  # the redis extra is optional: never imported at run time from here
    from asyncdam.engine.redis.backend import RedisBackend as SharedBackend

T = TypeVar("T")

__all__ = ["Engine", "ServiceClient", "StreamedResponse"]


class Engine:
    """Shared machinery for every adapter: use it with `async with`, or let an adapter own one.

    `cache=True` keeps an in-memory LRU, `False` disables revalidation, a `CacheStorage` (e.g.
    `SQLiteCache("sync.db")`) persists entries. `transport` replaces the network (tests, emulators).
    `backend` (e.g. `RedisBackend(url)`) supplies a shared limiter and cache storage.
    `proxy` sends everything through an http(s)/socks5 proxy; `trust_env=True` lets HTTPS_PROXY,
    NO_PROXY and SSL_CERT_FILE from the environment apply (off by default: a job behaves the same
    wherever it runs). The failure limits (`max_response_bytes`, `max_download_bytes`,
    `max_redirects`, `deadline`, `attempt_timeout`, `max_throttle_wait`) are described in
    `Limits` and docs/concepts/failure.md. A bad argument raises `InvalidArgumentError`.

    No cookie jar: a `Set-Cookie` is neither kept nor sent back. Credentials are explicit (the
    dialect's auth), and one engine may serve several credentials, which a shared jar would mix.
    """

    def __init__(
        self,
        *,
        cache: CacheStorage | bool = True,
        limiter: LimiterBackend | None = None,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        timeout: float | httpx.Timeout | None = 30.0,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        http2: bool = False,
        verify: bool | ssl.SSLContext = True,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        hooks: Hooks | None = None,
        backend: SharedBackend | None = None,
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        trust_env: bool = False,
        max_response_bytes: int = DEFAULT_LIMITS.max_response_bytes,
        max_download_bytes: int | None = DEFAULT_LIMITS.max_download_bytes,
        max_redirects: int = DEFAULT_LIMITS.max_redirects,
        deadline: float | None = DEFAULT_LIMITS.deadline,
        attempt_timeout: float | None = DEFAULT_LIMITS.attempt_timeout,
        max_throttle_wait: float | None = DEFAULT_LIMITS.max_throttle_wait,
        deadline_covers_throttle: bool = DEFAULT_LIMITS.deadline_covers_throttle,
        **unknown: Any,
    ) -> None:
        self._closed = False
        args = dict(locals())
        reject_unknown(unknown, [n for n in args if n not in {"self", "unknown", "args"}])
        check_engine_args(args)
        self.limits = Limits(**{name: args[name] for name in attrs.fields_dict(Limits)})
        self.clock: Clock = clock or SystemClock()
        if backend is not None:
            # A shared backend (e.g. RedisBackend) supplies both parts unless one is given.
            limiter = limiter or backend.limiter
            cache = backend.cache if cache is True else cache
        if cache is True:
            storage: CacheStorage | None = MemoryCache()
        elif cache is False:
            storage = None
        else:
            storage = cache
        self.cache = ConditionalCache(storage) if storage is not None else None
        self.limiter: LimiterBackend = limiter or LocalLimiter(clock=self.clock)
        self.retry = retry or RetryPolicy()
        self.retry_budget = retry_budget or RetryBudget()
        self.hooks = hooks or Hooks()
        self.stats = EngineStats()
        self._wires = WireCache()
        self._proxy_shown = shown_proxy(proxy)
        self._trust_env = trust_env
        self._http = http_client(
            timeout=timeout,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            http2=http2,
            verify=verify,
            transport=transport,
            proxy=proxy,
            trust_env=trust_env,
        )
        self._sender = Sender(self._http)

    @property
    def closed(self) -> bool:
        """Whether `aclose` has run (a closed engine refuses to send)."""
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        proxy = f" proxy={self._proxy_shown}" if self._proxy_shown else ""
        return (
            f"<Engine {state} limiter={type(self.limiter).__name__}"
            f" cache={type(self.cache.storage).__name__ if self.cache else None}"
            f"{proxy} trust_env={self._trust_env}>"
        )

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool, the cache storage and the limiter backend."""
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            await self._http.aclose()
            if self.cache is not None:
                await self.cache.aclose()
            await self.limiter.aclose()

    def bind(self, dialect: BaseDialect) -> ServiceClient:
        """A client for one service on this engine (several may share it)."""
        return ServiceClient(self, dialect)

    # -- the request loop -------------------------------------------------------------------

    def _budget(self, request: Request) -> CallBudget:
        limits = self.limits
        return CallBudget.start(
            self.clock.monotonic(),
            deadline=request.deadline if request.deadline is not None else limits.deadline,
            attempt_timeout=(
                request.attempt_timeout
                if request.attempt_timeout is not None
                else limits.attempt_timeout
            ),
        )

    async def send(self, dialect: BaseDialect, request: Request) -> Response:
        """Send with limiter, cache revalidation, redirects and retries, within the call's
        limits; raise the typed error on failure."""
        if self._closed:
            raise ConfigurationError("this Engine is closed")
        budget = self._budget(request)
        max_bytes = request.max_response_bytes or self.limits.max_response_bytes
        wire = self._wires.get(dialect)
        first = build_request(dialect, request, {}, wire)
        first_url = str(first.url)
        accept = first.headers.get("accept", "") if request.headers else wire.accept
        key, entry, validators = await self._prepare_cache(dialect, request, accept, first_url)
        if validators:
            first.headers.update(validators)
        self.retry_budget.record_request(self.clock.now())
        attempt = hops = 0
        current = request
        http_request: httpx.Request | None = first
        url_text = first_url
        while True:
            attempt += 1
            # A retry or a redirect rebuilds the request so a body stream is never sent
            # half-consumed.
            if http_request is None:
                http_request = build_request(dialect, current, validators, wire)
                url_text = str(http_request.url)
            target = http_request.url
            outcome = await self._attempt(
                dialect, current, http_request, url_text, attempt, budget, max_bytes
            )
            http_request = None
            if isinstance(outcome, Response):
                response = outcome
                status = response.status
                if status < 300:
                    if key is not None and self.cache is not None and status == 200:
                        await self.cache.store(
                            key, response, self.clock.now(), cacheable=request.is_cacheable
                        )
                    dialect.check_response(response, self.clock.now())
                    return response
                if status == 304:
                    if entry is not None and self.cache is not None:
                        assert key is not None
                        await self.cache.refresh(key, entry, response, self.clock.now())
                        return self.cache.from_not_modified(entry, response)
                    raise redirect_error(response, "304 Not Modified but nothing is cached", None)
                if status < 400:
                    current = await self._follow(current, response, target, hops)
                    hops += 1
                    attempt -= 1  # a hop is not a failed attempt
                    continue
                error: AsyncDamError = dialect.error_for(response, self.clock.now())
                decision = self._decide(dialect, request, attempt, response=response, error=error)
            else:
                error, sent = outcome
                decision = self._decide(dialect, request, attempt, sent=sent, error=error)
            await self._retry_or_raise(request, attempt, decision, error, budget)

    async def _follow(
        self, request: Request, response: Response, current: httpx.URL, hops: int
    ) -> Request:
        """The request for the next hop of a followed redirect, or `UnexpectedRedirect`."""
        decision = decide_redirect(
            method=request.method,
            status=response.status,
            current=current,
            location=response.headers.get("location"),
            hops=hops,
            max_hops=self.limits.max_redirects,
        )
        if not decision.follow or decision.target is None:
            raise redirect_error(response, decision.reason, decision.location)
        self.stats.redirects_followed += 1
        shown = redact_url(str(decision.target))
        logger.debug(
            "%s %s -> %d, following to %s", request.method, response.url, response.status, shown
        )
        await self.hooks.emit(
            Event(
                kind="redirect",
                method=request.method,
                url=response.url,
                status=response.status,
                reason=decision.reason,
                detail={"location": shown, "hop": hops + 1},
            )
        )
        # The next hop carries no query of its own: the Location's query is the whole query.
        return request.evolve(url=str(decision.target), query={}, path="", path_params={})

    def _decide(
        self,
        dialect: BaseDialect,
        request: Request,
        attempt: int,
        *,
        error: AsyncDamError,
        response: Response | None = None,
        sent: bool = True,
    ) -> RetryDecision:
        now = self.clock.now()
        headers = response.headers if response is not None else None
        decision = self.retry.decide(
            attempt=attempt,
            idempotent=request.is_idempotent,
            sent=sent,
            status=response.status if response is not None else None,
            headers=headers,
            rate_limit=dialect.read_rate_limit(headers, now) if headers is not None else None,
            concurrency_limited=isinstance(error, RateLimited) and error.concurrency,
            now=now,
        )
        if decision.retry and not self.retry_budget.try_spend(now):
            self.stats.retries_refused_by_budget += 1
            logger.warning("retry budget exhausted; not retrying %s", request.method)
            return RetryDecision(retry=False, delay=0.0, reason="retry budget exhausted")
        return decision

    async def _retry_or_raise(
        self,
        request: Request,
        attempt: int,
        decision: RetryDecision,
        error: AsyncDamError,
        budget: CallBudget,
    ) -> None:
        """Raise `error` unless `decision` retries within the call's time budget; else wait."""
        if not decision.retry:
            raise error
        if not budget.allows_delay(decision.delay, self.clock.monotonic()):
            logger.info(
                "not retrying %s: a %.2fs delay would pass the %s",
                request.method,
                decision.delay,
                budget.describe(),
            )
            raise error
        self.stats.retries += 1
        url = getattr(error, "url", "")
        logger.info(
            "retrying %s %s in %.2fs (attempt %d: %s)",
            request.method,
            url,
            decision.delay,
            attempt + 1,
            decision.reason,
        )
        await self.hooks.emit(
            Event(
                kind="retry",
                method=request.method,
                url=url,
                attempt=attempt,
                delay=decision.delay,
                reason=decision.reason,
            )
        )
        await self.clock.sleep(decision.delay)

    async def _prepare_cache(
        self, dialect: BaseDialect, request: Request, accept: str, url: str
    ) -> tuple[str | None, Any, dict[str, str]]:
        if self.cache is None or not request.is_cacheable:
            return None, None, {}
        key = cache_key(dialect.credential_id, request.method, url, accept)
        entry = await self.cache.lookup(key)
        if entry is None:
            return key, None, {}
        return key, entry, self.cache.conditional_headers(entry)

    async def _exchange(
        self,
        held: Held,
        dialect: BaseDialect,
        request: Request,
        http_request: httpx.Request,
        url: str,
        attempt: int,
    ) -> httpx.Response | tuple[AsyncDamError, bool]:
        """Send once under a held permit (body not read yet) and feed the quota headers back.

        A failure comes back (not raised) with whether the request may have reached the server.
        """
        self.stats.requests += 1
        # From here the server may have counted the request, even if we are cancelled.
        held.refund = False
        started = time.monotonic()
        try:
            raw = await self._sender.send(
                http_request, dialect.auth if request.authenticated else None
            )
        except RECEIVE_ERRORS as exc:
            self.stats.transport_errors += 1
            sent = was_sent(exc)
            held.refund = not sent
            return transport_error(exc, method=request.method, url=url, attempts=attempt), sent
        held.elapsed = elapsed = time.monotonic() - started
        now = self.clock.now()
        held.permit.observe(dialect.read_rate_limit(raw.headers, now), now)
        held.refund = raw.status_code == 304  # 304s are free on these services
        self.stats.count_status(raw.status_code)
        logger.debug("%s %s -> %d", request.method, url, raw.status_code)
        if self.hooks.response:  # no event is built when nobody listens
            await self.hooks.emit(
                Event(
                    kind="response",
                    method=request.method,
                    url=url,
                    attempt=attempt,
                    status=raw.status_code,
                    elapsed=elapsed,
                )
            )
        return raw

    async def _attempt(
        self,
        dialect: BaseDialect,
        request: Request,
        http_request: httpx.Request,
        url_text: str,
        attempt: int,
        budget: CallBudget,
        max_bytes: int,
    ) -> Response | tuple[AsyncDamError, bool]:
        """One complete try within its time budget: permit, exchange, whole body (at most
        `max_bytes` after decompression). Retryable failures come back, not raised.

        The permit is held as in `stream_call.held_permit`, written out inline because this runs
        for every request (a generator-based context manager costs more than the bookkeeping).
        """
        url = redact_url(url_text)
        hooks = self.hooks
        permit = await acquire_permit(
            self.limiter, self.limits, self.clock, dialect, request, url, attempt, budget
        )
        held = Held(permit)
        try:
            # Hooks may await: they run inside the try so a cancellation there leaks no slot.
            if permit.waited > 0:
                self.stats.throttle_wait += permit.waited
                if hooks.throttle:
                    await hooks.emit(
                        Event(kind="throttle", method=request.method, url=url, delay=permit.waited)
                    )
            if hooks.request:
                await hooks.emit(
                    Event(kind="request", method=request.method, url=url, attempt=attempt)
                )
            step = budget.for_attempt(self.clock.monotonic())
            if step.exhausted:
                return deadline_error(budget, "before sending", request, url, attempt), False
            outcome: httpx.Response | tuple[AsyncDamError, bool] | None = None
            content = b""
            with anyio.move_on_after(step.seconds if step.bounded else None) as scope:
                outcome = await self._exchange(held, dialect, request, http_request, url, attempt)
                if isinstance(outcome, tuple):
                    return outcome
                try:
                    content = await self._read(outcome, request, url, attempt, max_bytes)
                except Retryable as failed:
                    return failed.error, True
            if scope.cancelled_caught:
                self.stats.transport_errors += 1
                return step_timeout(step, budget, request, url, attempt), True
        finally:
            if isinstance(permit, LocalPermit):
                permit.release_now(refund=held.refund)  # never blocks: nothing to shield
            else:
                with anyio.CancelScope(shield=True):
                    await permit.release(refund=held.refund)
        if isinstance(outcome, tuple):
            return outcome
        assert outcome is not None
        self.stats.bytes_received += len(content)
        return Response(
            status=outcome.status_code,
            headers=outcome.headers,
            content=content,
            method=request.method,
            url=url,
            attempts=attempt,
            elapsed=held.elapsed,
        )

    async def _read(
        self, raw: httpx.Response, request: Request, url: str, attempt: int, max_bytes: int
    ) -> bytes:
        """The whole body of `raw` within `max_bytes`; the connection is closed on every exit."""
        try:
            return await read_limited(raw, limit=max_bytes, setting="max_response_bytes", url=url)
        except RECEIVE_ERRORS as exc:
            self.stats.transport_errors += 1
            error = transport_error(exc, method=request.method, url=url, attempts=attempt)
            raise Retryable(error) from None
        except TransportError as exc:
            self.stats.transport_errors += 1
            exc.attempts = attempt
            raise Retryable(exc) from None
        except DecodeError:
            if raw.status_code >= 300:
                return b""  # an error body that does not decode: the status still decides
            raise
        finally:
            if not raw.is_closed:  # a body read to its end closed itself
                with anyio.CancelScope(shield=True):
                    await raw.aclose()

    # -- streaming --------------------------------------------------------------------------

    def stream_external(self, url: str) -> AbstractAsyncContextManager[StreamedResponse]:
        """GET an absolute https URL with no credential (a signed download link), through this
        engine's pool, proxy and limits; https-only redirects may cross origins."""
        if self._closed:
            raise ConfigurationError("this Engine is closed")
        return open_external(
            self._http,
            url,
            limits=self.limits,
            stats=self.stats,
            clock=self.clock,
            hooks=self.hooks,
        )

    def stream(
        self, dialect: BaseDialect, request: Request
    ) -> AbstractAsyncContextManager[StreamedResponse]:
        """Send a request whose body is read as a byte stream; retries and same-origin redirects
        happen before the body. `attempt_timeout` covers the wait for the headers; the deadline,
        when set, covers the body too."""
        return open_stream(self, dialect, request)


class ServiceClient:
    """An engine bound to one dialect: what adapters call."""

    def __init__(self, engine: Engine, dialect: BaseDialect) -> None:
        self.engine = engine
        self.dialect = dialect

    async def send(self, request: Request) -> Response:
        """Send one request (limited, revalidated, retried); raises typed errors."""
        return await self.engine.send(self.dialect, request)

    def stream(self, request: Request) -> AbstractAsyncContextManager[StreamedResponse]:
        """An async context manager yielding a `StreamedResponse` for binary downloads."""
        return self.engine.stream(self.dialect, request)

    def paginate(
        self,
        request: Request,
        strategy: Any,
        decode: Callable[[Response], Sequence[T]],
        *,
        fetch_ahead: int | None = None,
        cursor: dict[str, Any] | None = None,
        **guard: Any,
    ) -> Paginator[T]:
        """A `Paginator` over a listing; fetch-ahead defaults to the dialect's concurrency cap.

        `guard` takes the consistency options of `Paginator` (`identify`, `consistency`,
        `reconcile`, `reconcile_passes`); drift is counted in this engine's stats and hooks.
        """
        ahead = self.dialect.concurrency if fetch_ahead is None else fetch_ahead
        fetch: Callable[[Request], Awaitable[Response]] = self.send
        monitor = ListingMonitor(
            self.engine.stats, self.engine.hooks, request.method, request.rendered_path()
        )
        return Paginator(
            fetch,
            request,
            strategy,
            decode,
            fetch_ahead=ahead,
            cursor=cursor,
            monitor=monitor,
            **guard,
        )
