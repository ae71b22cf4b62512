"""The Engine: one pooled HTTP client, one limiter, one cache, one retry policy for all adapters."""

from __future__ import annotations

import importlib.util
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx

from asyncdam.engine.cache import ConditionalCache, cache_key
from asyncdam.engine.cache_storage import MemoryCache
from asyncdam.engine.clock import Clock, SystemClock
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import AsyncDamError, ConfigurationError, RateLimited
from asyncdam.engine.events import EngineStats, Event, Hooks, logger
from asyncdam.engine.limiter import LocalLimiter
from asyncdam.engine.pagination import ListingMonitor, Paginator
from asyncdam.engine.protocols import CacheStorage, LimiterBackend, Permit
from asyncdam.engine.redact import redact_url
from asyncdam.engine.request import Request, Response
from asyncdam.engine.retry import RetryBudget, RetryDecision, RetryPolicy
from asyncdam.engine.wire import RECEIVE_ERRORS, build_request, transport_error, was_sent

if TYPE_CHECKING:  # the redis extra is optional: never imported at run time from here
    from asyncdam.engine.redis.backend import RedisBackend as SharedBackend

T = TypeVar("T")

__all__ = ["Engine", "ServiceClient", "StreamedResponse"]


class Engine:
    """Shared machinery for every adapter: use it with `async with`, or let an adapter own one.

    `cache=True` keeps an in-memory LRU, `False` disables revalidation, a `CacheStorage` (e.g.
    `SQLiteCache("sync.db")`) persists entries. `transport` replaces the network (tests, emulators).
    `backend` (e.g. `RedisBackend(url)`) supplies a shared limiter and cache storage.
    """

    def __init__(
        self,
        *,
        cache: CacheStorage | bool = True,
        limiter: LimiterBackend | None = None,
        retry: RetryPolicy | None = None,
        retry_budget: RetryBudget | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        http2: bool = False,
        verify: bool | ssl.SSLContext = True,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        hooks: Hooks | None = None,
        backend: SharedBackend | None = None,
    ) -> None:
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
        if http2 and importlib.util.find_spec("h2") is None:
            raise ConfigurationError("http2=True needs the 'http2' extra: asyncdam[http2]")
        self._http = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_keepalive_connections,
            ),
            http2=http2,
            verify=verify,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )
        self._closed = False

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

    async def send(self, dialect: BaseDialect, request: Request) -> Response:
        """Send with limiter, cache revalidation and retries; raise the typed error on failure."""
        if self._closed:
            raise ConfigurationError("this Engine is closed")
        first = build_request(dialect, request, {})
        key, entry, validators = await self._prepare_cache(dialect, request, first)
        first.headers.update(validators)
        self.retry_budget.record_request(self.clock.now())
        attempt = 0
        while True:
            attempt += 1
            # The first attempt reuses the request built for the cache key; a retry rebuilds it
            # so a body stream is never sent half-consumed.
            http_request = first if attempt == 1 else build_request(dialect, request, validators)
            outcome = await self._attempt(dialect, request, http_request, attempt)
            if isinstance(outcome, Response):
                response = outcome
                if response.status == 304 and entry is not None and self.cache is not None:
                    assert key is not None
                    await self.cache.refresh(key, entry, response, self.clock.now())
                    return self.cache.from_not_modified(entry, response)
                if response.status < 400 and response.status != 304:
                    if key is not None and self.cache is not None and response.status == 200:
                        await self.cache.store(
                            key, response, self.clock.now(), cacheable=request.is_cacheable
                        )
                    dialect.check_response(response, self.clock.now())
                    return response
                error: AsyncDamError = dialect.error_for(response, self.clock.now())
                decision = self._decide(dialect, request, attempt, response=response, error=error)
            else:
                error, sent = outcome
                decision = self._decide(dialect, request, attempt, sent=sent, error=error)
            if not decision.retry:
                raise error
            await self._wait_before_retry(request, attempt, decision, error)

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

    async def _wait_before_retry(
        self, request: Request, attempt: int, decision: RetryDecision, error: AsyncDamError
    ) -> None:
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
        self, dialect: BaseDialect, request: Request, probe: httpx.Request
    ) -> tuple[str | None, Any, dict[str, str]]:
        if self.cache is None or not request.is_cacheable:
            return None, None, {}
        key = cache_key(
            dialect.credential_id, request.method, str(probe.url), probe.headers.get("accept", "")
        )
        entry = await self.cache.lookup(key)
        if entry is None:
            return key, None, {}
        return key, entry, self.cache.conditional_headers(entry)

    @asynccontextmanager
    async def _held(
        self, dialect: BaseDialect, request: Request, url: str, attempt: int
    ) -> AsyncIterator[_Held]:
        """Hold one permit for one attempt; it goes back on every exit, cancellation included."""
        permit = await self.limiter.acquire(
            dialect.scope_for(request),
            concurrency=dialect.concurrency,
            initial_rate=dialect.initial_rate,
        )
        held = _Held(permit)
        try:
            # Hooks may await: they run inside the try so a cancellation there leaks no slot.
            if permit.waited > 0:
                self.stats.throttle_wait += permit.waited
                await self.hooks.emit(
                    Event(kind="throttle", method=request.method, url=url, delay=permit.waited)
                )
            await self.hooks.emit(
                Event(kind="request", method=request.method, url=url, attempt=attempt)
            )
            yield held
        finally:
            with anyio.CancelScope(shield=True):
                await permit.release(refund=held.refund)

    async def _exchange(
        self,
        held: _Held,
        dialect: BaseDialect,
        request: Request,
        http_request: httpx.Request,
        url: str,
        attempt: int,
        *,
        stream: bool,
    ) -> httpx.Response | tuple[AsyncDamError, bool]:
        """Send once under a held permit and feed the quota headers back.

        A failure comes back (not raised) with whether the request may have reached the server.
        """
        self.stats.requests += 1
        # From here the server may have counted the request, even if we are cancelled.
        held.refund = False
        started = time.monotonic()
        try:
            raw = await self._http.send(
                http_request,
                auth=dialect.auth if request.authenticated else None,
                stream=stream,
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
        self, dialect: BaseDialect, request: Request, http_request: httpx.Request, attempt: int
    ) -> Response | tuple[AsyncDamError, bool]:
        """One complete try: permit, exchange, whole body. Errors come back, not raised."""
        url = redact_url(str(http_request.url))
        async with self._held(dialect, request, url, attempt) as held:
            outcome = await self._exchange(
                held, dialect, request, http_request, url, attempt, stream=False
            )
        if isinstance(outcome, tuple):
            return outcome
        self.stats.bytes_received += len(outcome.content)
        return Response(
            status=outcome.status_code,
            headers=outcome.headers,
            content=outcome.content,
            method=request.method,
            url=url,
            attempts=attempt,
            elapsed=held.elapsed,
        )

    # -- streaming --------------------------------------------------------------------------

    @asynccontextmanager
    async def stream(
        self, dialect: BaseDialect, request: Request
    ) -> AsyncIterator[StreamedResponse]:
        """Send a request whose body is read as a byte stream; retries happen before the body."""
        attempt = 0
        self.retry_budget.record_request(self.clock.now())
        while True:
            attempt += 1
            http_request = build_request(dialect, request, {})
            url = redact_url(str(http_request.url))
            async with self._held(dialect, request, url, attempt) as held:
                outcome = await self._exchange(
                    held, dialect, request, http_request, url, attempt, stream=True
                )
                if isinstance(outcome, tuple):
                    error, sent = outcome
                    decision = self._decide(dialect, request, attempt, sent=sent, error=error)
                else:
                    try:
                        if outcome.status_code < 400:
                            yield StreamedResponse(outcome, url, self.stats)
                            return
                        try:
                            body = await outcome.aread()
                        except RECEIVE_ERRORS:
                            # An error body cut short or undecodable: the status still decides.
                            body = b""
                    finally:
                        await outcome.aclose()
                    response = Response(
                        status=outcome.status_code,
                        headers=outcome.headers,
                        content=body,
                        method=request.method,
                        url=url,
                        attempts=attempt,
                    )
                    error = dialect.error_for(response, self.clock.now())
                    decision = self._decide(
                        dialect, request, attempt, response=response, error=error
                    )
            if not decision.retry:
                raise error
            await self._wait_before_retry(request, attempt, decision, error)


class _Held:
    """A permit held for one attempt, and whether its token goes back when it is released."""

    __slots__ = ("elapsed", "permit", "refund")

    def __init__(self, permit: Permit) -> None:
        self.permit = permit
        # Until the request is handed to the transport nothing was spent.
        self.refund = True
        self.elapsed = 0.0


class StreamedResponse:
    """A response whose body is read in chunks, never decoded as text."""

    def __init__(self, raw: httpx.Response, url: str, stats: EngineStats) -> None:
        self._raw = raw
        self.url = url
        self._stats = stats

    @property
    def status(self) -> int:
        """The HTTP status."""
        return self._raw.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self._raw.headers

    async def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """The body as raw bytes, chunk by chunk (transfer encoding removed, never text-decoded)."""
        try:
            async for chunk in self._raw.aiter_bytes(chunk_size):
                self._stats.bytes_received += len(chunk)
                yield chunk
        except RECEIVE_ERRORS as exc:
            raise transport_error(
                exc, method=self._raw.request.method, url=self.url, attempts=1
            ) from None

    async def read(self) -> bytes:
        """The whole body as bytes."""
        return b"".join([chunk async for chunk in self.aiter_bytes()])


class ServiceClient:
    """An engine bound to one dialect: what adapters call."""

    def __init__(self, engine: Engine, dialect: BaseDialect) -> None:
        self.engine = engine
        self.dialect = dialect

    async def send(self, request: Request) -> Response:
        """Send one request (limited, revalidated, retried); raises typed errors."""
        return await self.engine.send(self.dialect, request)

    def stream(self, request: Request) -> Any:
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
