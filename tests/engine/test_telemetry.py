"""OpenTelemetry: one span per call with its attempts as events, and the traffic metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import NotFound
from asyncdam.engine.request import Request
from asyncdam.engine.retry import RetryPolicy
from asyncdam.engine.session import Engine
from asyncdam.telemetry import Instrumentation, instrument

BASE = "https://api.example.test/v1/"
pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class FakeClock:
    """Wall time that only moves when the engine sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


class Telemetry:
    """An engine wired to in-memory span and metric collectors."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[self.reader])
        self.engine = engine or Engine(
            clock=FakeClock(), retry=RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_cap=1.0)
        )
        self.wiring: Instrumentation = instrument(
            self.engine, tracer_provider=tracer_provider, meter_provider=meter_provider
        )

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metric(self, name: str, **labels: Any) -> float:
        """The summed value (counter) or sum (histogram) of `name` over points matching labels."""
        data = self.reader.get_metrics_data()
        total = 0.0
        if data is None:  # nothing was ever recorded
            return total
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        if all(point.attributes.get(k) == v for k, v in labels.items()):
                            total += getattr(point, "value", None) or getattr(point, "sum", 0)
        return total


@pytest.fixture
def tel() -> Telemetry:
    return Telemetry()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def dialect() -> BaseDialect:
    return BaseDialect(
        name="svc",
        base_url=check_base_url(BASE),
        default_headers={"Accept": "application/json"},
        credential_id="cred1",
    )


def get(path: str = "items") -> Request:
    return Request(method="GET", path=path)


async def test_one_span_per_call_with_attempts_as_events(
    tel: Telemetry, mock: respx.MockRouter
) -> None:
    mock.get("items").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json={"message": "slow down"}),
            httpx.Response(200, json=[1, 2]),
        ]
    )
    response = await tel.engine.send(dialect(), get())
    assert response.status == 200
    (span,) = tel.finished()
    assert span.name == "asyncdam GET"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["asyncdam.service"] == "svc"
    assert attributes["asyncdam.scope"] == "svc:api.example.test:cred1"
    assert attributes["url.full"] == BASE + "items"
    assert attributes["http.response.status_code"] == 200
    assert attributes["asyncdam.attempts"] == 2
    assert attributes["asyncdam.retries"] == 1
    assert attributes["asyncdam.from_cache"] is False
    kinds = [(e.name, dict(e.attributes or {})) for e in span.events]
    assert [name for name, _ in kinds] == [
        "asyncdam.request",
        "asyncdam.response",
        "asyncdam.retry",
        "asyncdam.request",
        "asyncdam.response",
    ]
    assert kinds[1][1]["http.response.status_code"] == 429
    assert kinds[2][1]["asyncdam.delay"] == 2.0
    assert kinds[3][1]["asyncdam.attempt"] == 2
    assert span.status.status_code is not StatusCode.ERROR
    assert tel.metric("asyncdam.requests", **{"asyncdam.service": "svc"}) == 2
    assert tel.metric("asyncdam.rate_limited") == 1
    assert tel.metric("asyncdam.retries") == 1
    assert tel.metric("asyncdam.responses", **{"http.response.status_code": 200}) == 1


async def test_a_304_is_a_cache_hit_and_counted(tel: Telemetry, mock: respx.MockRouter) -> None:
    route = mock.get("items")
    route.side_effect = [
        httpx.Response(200, headers={"ETag": '"v1"'}, json=[1]),
        httpx.Response(304, headers={"ETag": '"v1"'}),
    ]
    await tel.engine.send(dialect(), get())
    second = await tel.engine.send(dialect(), get())
    assert second.from_cache
    first_span, second_span = tel.finished()
    assert dict(second_span.attributes or {})["asyncdam.from_cache"] is True
    assert dict(first_span.attributes or {})["asyncdam.from_cache"] is False
    assert tel.metric("asyncdam.not_modified") == 1
    assert tel.metric("asyncdam.requests") == 2


async def test_a_failed_call_ends_its_span_as_an_error(
    tel: Telemetry, mock: respx.MockRouter
) -> None:
    mock.get("gone").respond(404, json={"message": "no"})
    with pytest.raises(NotFound):
        await tel.engine.send(dialect(), get("gone"))
    (span,) = tel.finished()
    assert span.status.status_code is StatusCode.ERROR
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == "NotFound"
    assert attributes["http.response.status_code"] == 404
    assert any(e.name == "exception" for e in span.events)


async def test_throttle_wait_is_an_event_and_a_metric(
    tel: Telemetry, mock: respx.MockRouter
) -> None:
    reset = int(FakeClock().now()) + 30
    spent = {
        "X-Rate-Limit-Limit": "1",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": str(reset),
    }
    mock.get("items").respond(200, headers=spent, json=[])
    await tel.engine.send(dialect(), get())
    await tel.engine.send(dialect(), get())  # waits (on the fake clock) for the window to refill
    second = tel.finished()[1]
    waits = [e for e in second.events if e.name == "asyncdam.throttle"]
    assert len(waits) == 1
    wait = dict(waits[0].attributes or {})["asyncdam.delay"]
    assert wait > 0
    assert dict(second.attributes or {})["asyncdam.throttle_wait"] == wait
    assert tel.metric("asyncdam.throttle_wait") == pytest.approx(wait)


async def test_streamed_calls_are_traced_too(tel: Telemetry, mock: respx.MockRouter) -> None:
    mock.get("blob").respond(200, content=b"x" * 10)
    async with tel.engine.stream(dialect(), get("blob")) as response:
        assert await response.read() == b"x" * 10
    (span,) = tel.finished()
    attributes = dict(span.attributes or {})
    assert attributes["asyncdam.streamed"] is True
    assert attributes["http.response.status_code"] == 200


async def test_uninstrument_takes_it_all_off(tel: Telemetry, mock: respx.MockRouter) -> None:
    mock.get("items").respond(200, json=[])
    tel.wiring.uninstrument()
    await tel.engine.send(dialect(), get())
    assert tel.finished() == []
    assert tel.metric("asyncdam.requests") == 0
    assert tel.engine.hooks.request == []
    with pytest.raises(RuntimeError):
        instrument(tel.engine)
        instrument(tel.engine)


async def test_spans_nest_under_the_callers_span(tel: Telemetry, mock: respx.MockRouter) -> None:
    mock.get("items").respond(200, json=[])
    tracer = tel.wiring._tracer
    with tracer.start_as_current_span("job") as parent:
        await tel.engine.send(dialect(), get())
    child, outer = tel.finished()
    assert outer.name == "job"
    assert child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id


async def test_a_client_listing_gives_one_span_per_page(phrase_emulator: Any) -> None:
    pytest.importorskip("starlette")
    from asyncdam.phrase import Phrase

    engine = Engine(transport=phrase_emulator.transport)
    tel = Telemetry(engine)
    async with engine:
        phrase = Phrase(
            token=phrase_emulator.token, base_url=phrase_emulator.base_url, engine=engine
        )
        projects = [p async for p in phrase.projects.list(per_page=2)]
    spans = tel.finished()
    assert projects
    assert len(spans) == engine.stats.requests
    assert {dict(s.attributes or {})["asyncdam.service"] for s in spans} == {"phrase"}
    # The scope names the host and a hash of the token, never the token itself.
    assert all(phrase_emulator.token not in str(s.attributes) for s in spans)
