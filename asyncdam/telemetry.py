"""OpenTelemetry traces and metrics for an `Engine` (the `otel` extra).

`instrument(engine)` makes every call through the engine one CLIENT span (`asyncdam GET`, ...)
whose attempts, throttle waits and retries are span events, and records metrics:

| instrument | kind | what |
|---|---|---|
| `asyncdam.requests` | counter | HTTP attempts sent |
| `asyncdam.responses` | counter | responses, by `http.response.status_code` |
| `asyncdam.rate_limited` | counter | 429 responses |
| `asyncdam.not_modified` | counter | 304 responses (free revalidations) |
| `asyncdam.retries` | counter | retries scheduled |
| `asyncdam.throttle_wait` | histogram (s) | time the limiter held an attempt back |
| `asyncdam.call.duration` | histogram (s) | whole calls, waits and retries included |

Every instrument carries `asyncdam.service` (the dialect name) and `http.request.method`.
Span attributes name the service, the quota scope (host and a credential hash, never a secret),
the redacted URL, the final status, the attempt count, the throttle wait and whether the answer
came from the cache (a 304). Hooks and the wrapped calls only observe: a failing exporter never
fails a request.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs

try:
    from opentelemetry import context, metrics, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "asyncdam.telemetry needs the 'otel' extra: pip install asyncdam[otel]"
    ) from exc

from asyncdam._version import __version__
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.events import Event, Hook
from asyncdam.engine.redact import redact_url
from asyncdam.engine.request import Request, Response
from asyncdam.engine.session import Engine

__all__ = ["Instrumentation", "instrument"]

SCOPE = "asyncdam"
_HOOK_KINDS = (
    "request",
    "response",
    "retry",
    "throttle",
    "redirect",
    "invalid_item",
    "drift",
    "reconcile",
)


@attrs.define
class _Call:
    """What one traced call has gathered so far (lives in a context variable during the call)."""

    span: trace.Span
    service: str
    method: str
    attempts: int = 0
    retries: int = 0
    throttle_wait: float = 0.0
    status: int | None = None


_CURRENT: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "asyncdam_otel_call", default=None
)


class _Instruments:
    """The metric instruments, created once per instrumentation."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.requests = meter.create_counter(
            "asyncdam.requests", unit="{request}", description="HTTP attempts sent"
        )
        self.responses = meter.create_counter(
            "asyncdam.responses", unit="{response}", description="HTTP responses by status"
        )
        self.rate_limited = meter.create_counter(
            "asyncdam.rate_limited", unit="{response}", description="429 responses"
        )
        self.not_modified = meter.create_counter(
            "asyncdam.not_modified", unit="{response}", description="304 responses (free)"
        )
        self.retries = meter.create_counter(
            "asyncdam.retries", unit="{retry}", description="Retries scheduled"
        )
        self.throttle_wait = meter.create_histogram(
            "asyncdam.throttle_wait", unit="s", description="Time the limiter held an attempt back"
        )
        self.duration = meter.create_histogram(
            "asyncdam.call.duration",
            unit="s",
            description="Whole calls with waits and retries",
        )


class Instrumentation:
    """An engine's OpenTelemetry wiring; `uninstrument()` takes it off again."""

    def __init__(
        self,
        engine: Engine,
        tracer: trace.Tracer,
        instruments: _Instruments,
    ) -> None:
        self.engine = engine
        self._tracer = tracer
        self._metrics = instruments
        self._hooks: dict[str, Hook] = {kind: self._on_event for kind in _HOOK_KINDS}
        self._active = False

    # -- wiring ------------------------------------------------------------------------------

    def _install(self) -> None:
        engine = self.engine
        if "send" in vars(engine) or "stream" in vars(engine):
            raise RuntimeError("this Engine is already instrumented")
        original_send = engine.send
        original_stream = engine.stream

        async def send(dialect: BaseDialect, request: Request) -> Response:
            with self._call(dialect, request) as call:
                response = await original_send(dialect, request)
                call.span.set_attribute("asyncdam.from_cache", response.from_cache)
                call.status = response.status
                return response

        @asynccontextmanager
        async def stream(dialect: BaseDialect, request: Request) -> AsyncIterator[Any]:
            with self._call(dialect, request) as call:
                call.span.set_attribute("asyncdam.streamed", True)
                async with original_stream(dialect, request) as response:
                    call.status = response.status
                    yield response

        # Instance attributes shadow the methods: every adapter call goes through them.
        vars(engine)["send"] = send
        vars(engine)["stream"] = stream
        for kind, hook in self._hooks.items():
            getattr(engine.hooks, kind).append(hook)
        self._active = True

    def uninstrument(self) -> None:
        """Remove the spans and metrics from the engine (calls in flight finish traced)."""
        if not self._active:
            return
        vars(self.engine).pop("send", None)
        vars(self.engine).pop("stream", None)
        for kind, hook in self._hooks.items():
            hooks: list[Hook] = getattr(self.engine.hooks, kind)
            if hook in hooks:
                hooks.remove(hook)
        self._active = False

    # -- one call ----------------------------------------------------------------------------

    def _call(self, dialect: BaseDialect, request: Request) -> _CallScope:
        return _CallScope(self, dialect, request)

    def _start(self, dialect: BaseDialect, request: Request) -> _Call:
        attributes: dict[str, Any] = {
            "http.request.method": request.method,
            "asyncdam.service": dialect.name,
            "asyncdam.scope": dialect.scope_for(request),
            "server.address": dialect.base_url.host,
        }
        try:
            attributes["url.full"] = redact_url(str(dialect.url_for(request)))
        except Exception:  # a bad request is refused by send itself; the span just lacks the URL
            attributes["url.template"] = request.path
        span = self._tracer.start_span(
            f"asyncdam {request.method}", kind=SpanKind.CLIENT, attributes=attributes
        )
        return _Call(span=span, service=dialect.name, method=request.method)

    def _finish(self, call: _Call, error: BaseException | None, elapsed: float) -> None:
        span = call.span
        span.set_attribute("asyncdam.attempts", call.attempts)
        span.set_attribute("asyncdam.retries", call.retries)
        span.set_attribute("asyncdam.throttle_wait", call.throttle_wait)
        if call.status is not None:
            span.set_attribute("http.response.status_code", call.status)
        if error is not None:
            span.record_exception(error)
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        self._metrics.duration.record(elapsed, _labels(call.service, call.method))
        span.end()

    # -- engine events -----------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        call = _CURRENT.get()
        service = call.service if call is not None else ""
        labels = _labels(service, event.method)
        m = self._metrics
        if event.kind == "request":
            m.requests.add(1, labels)
        elif event.kind == "response" and event.status is not None:
            m.responses.add(1, {**labels, "http.response.status_code": event.status})
            if event.status == 429:
                m.rate_limited.add(1, labels)
            elif event.status == 304:
                m.not_modified.add(1, labels)
        elif event.kind == "retry":
            m.retries.add(1, labels)
        elif event.kind == "throttle":
            m.throttle_wait.record(event.delay, labels)
        if call is not None:
            _note(call, event)
            call.span.add_event(f"asyncdam.{event.kind}", _event_attributes(event))
        else:
            # Paging events (invalid items, drift) arrive between calls: the caller's span.
            current = trace.get_current_span()
            if current.is_recording():
                current.add_event(f"asyncdam.{event.kind}", _event_attributes(event))


class _CallScope:
    """`with`: one span for one call, current (context variable) for the hooks it triggers."""

    def __init__(self, owner: Instrumentation, dialect: BaseDialect, request: Request) -> None:
        self._owner = owner
        self._dialect = dialect
        self._request = request
        self._token: contextvars.Token[_Call | None] | None = None
        self._otel_token: Any = None
        self._started = 0.0
        self._call: _Call | None = None

    def __enter__(self) -> _Call:
        self._started = time.monotonic()
        call = self._owner._start(self._dialect, self._request)
        self._call = call
        self._token = _CURRENT.set(call)
        self._otel_token = _attach(call.span)
        return call

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        assert self._call is not None and self._token is not None
        _detach(self._otel_token)
        _CURRENT.reset(self._token)
        self._owner._finish(self._call, exc, time.monotonic() - self._started)


def _attach(span: trace.Span) -> Any:
    return context.attach(trace.set_span_in_context(span))


def _detach(token: Any) -> None:
    try:
        context.detach(token)
    except ValueError:  # pragma: no cover - a stream closed in another context; harmless
        pass


def _labels(service: str, method: str) -> dict[str, str]:
    return {"asyncdam.service": service, "http.request.method": method}


def _note(call: _Call, event: Event) -> None:
    if event.kind == "request":
        call.attempts = max(call.attempts, event.attempt)
    elif event.kind == "response" and event.status is not None:
        call.status = event.status
    elif event.kind == "retry":
        call.retries += 1
    elif event.kind == "throttle":
        call.throttle_wait += event.delay


def _event_attributes(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"asyncdam.attempt": event.attempt}
    if event.status is not None:
        out["http.response.status_code"] = event.status
    if event.delay:
        out["asyncdam.delay"] = event.delay
    if event.reason:
        out["asyncdam.reason"] = event.reason
    if event.elapsed:
        out["asyncdam.elapsed"] = event.elapsed
    if event.from_cache:
        out["asyncdam.from_cache"] = True
    for key, value in event.detail.items():
        # Span attributes take scalars only; anything else is described, not dropped.
        if isinstance(value, str | bool | int | float):
            out[f"asyncdam.{key}"] = value
        elif value is not None:
            out[f"asyncdam.{key}"] = str(value)
    return out


def instrument(
    engine: Engine,
    *,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> Instrumentation:
    """Trace every call of `engine` as a span and count its traffic as metrics.

    Without providers the global ones are used (`opentelemetry.trace.set_tracer_provider`, ...).
    Returns the `Instrumentation`; `uninstrument()` takes it off.
    """
    tracer = trace.get_tracer(SCOPE, __version__, tracer_provider=tracer_provider)
    meter = metrics.get_meter(SCOPE, __version__, meter_provider=meter_provider)
    wiring = Instrumentation(engine, tracer, _Instruments(meter))
    wiring._install()
    return wiring
