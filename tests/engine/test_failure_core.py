"""The pure decisions behind the failure limits: redirects, time budgets, the bounded decoder, the
JSON parser, limit validation, the limiter's refusal of long quota waits, Engine arguments."""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from asyncdam.engine.body import PIECE, BodyDecoder, declared_length
from asyncdam.engine.deadline import CallBudget, StepBudget
from asyncdam.engine.dialect import BaseDialect, check_base_url
from asyncdam.engine.errors import (
    DecodeError,
    InvalidArgumentError,
    InvalidRequestError,
    QuotaWaitTooLong,
    ResponseTooLarge,
    UnexpectedRedirect,
)
from asyncdam.engine.json_safe import parse_json
from asyncdam.engine.limiter import LocalLimiter
from asyncdam.engine.limits import Limits
from asyncdam.engine.redirects import RedirectDecision, decide_redirect
from asyncdam.engine.request import Request
from asyncdam.engine.session import Engine
from asyncdam.engine.types import Rate, RateLimitInfo, WaitRefused

HERE = httpx.URL("https://api.example.com/v2/projects?page=2")


# -- redirects ----------------------------------------------------------------------------------


def decide(
    location: str | None, *, method: str = "GET", status: int = 302, hops: int = 0
) -> RedirectDecision:
    return decide_redirect(
        method=method, status=status, current=HERE, location=location, hops=hops, max_hops=5
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_same_origin_relative_and_absolute_locations_are_followed(status: int) -> None:
    relative = decide("/v2/projects?page=3#frag", status=status)
    assert relative.follow and str(relative.target) == "https://api.example.com/v2/projects?page=3"
    absolute = decide("https://api.example.com:443/x", status=status)
    assert absolute.follow


@pytest.mark.parametrize(
    ("location", "method", "status", "hops", "reason"),
    [
        ("https://other.example.com/x", "GET", 302, 0, "another origin"),
        ("https://api.example.com:8443/x", "GET", 302, 0, "another origin"),
        ("http://api.example.com/x", "GET", 301, 0, "downgrade"),
        ("/x", "POST", 302, 0, "POST"),
        ("/x", "PUT", 307, 0, "PUT"),
        ("/x", "GET", 302, 5, "more than 5"),
        (None, "GET", 302, 0, "without a Location"),
        ("   ", "GET", 302, 0, "without a Location"),
        ("/x", "GET", 300, 0, "status 300"),
        ("http://[::1", "GET", 302, 0, "unparseable"),
    ],
)
def test_everything_else_is_refused_with_a_reason(
    location: str | None, method: str, status: int, hops: int, reason: str
) -> None:
    decision = decide(location, method=method, status=status, hops=hops)
    assert not decision.follow and decision.target is None
    assert reason in decision.reason


def test_head_is_followed_like_get() -> None:
    assert decide("/x", method="HEAD").follow


# -- time budgets -------------------------------------------------------------------------------


def test_a_budget_without_deadline_bounds_only_the_attempt() -> None:
    budget = CallBudget.start(100.0, deadline=None, attempt_timeout=30.0)
    step = budget.for_attempt(1e9)
    assert (step.seconds, step.limit) == (30.0, "attempt_timeout")
    assert budget.remaining(1e9) == math.inf
    assert budget.allows_delay(1e6, 1e9)
    assert not budget.for_permit(100.0, covers_throttle=True).bounded


def test_the_deadline_binds_when_it_is_nearer_than_the_attempt_timeout() -> None:
    budget = CallBudget.start(100.0, deadline=10.0, attempt_timeout=30.0)
    assert budget.for_attempt(100.0) == StepBudget(10.0, "deadline")
    assert CallBudget.start(0.0, deadline=60.0, attempt_timeout=30.0).for_attempt(0.0) == (
        StepBudget(30.0, "attempt_timeout")
    )
    step = budget.for_attempt(105.0)
    assert (step.seconds, step.limit) == (5.0, "deadline")
    assert budget.allows_delay(4.9, 105.0) and not budget.allows_delay(5.0, 105.0)
    assert budget.for_attempt(111.0).exhausted
    assert budget.for_permit(105.0, covers_throttle=True).seconds == 5.0
    assert not budget.for_permit(105.0, covers_throttle=False).bounded


# -- the bounded decoder ------------------------------------------------------------------------


def test_a_bomb_inflates_one_piece_at_a_time() -> None:
    compressed = zlib.compress(bytes(64 * 1024 * 1024), 9)  # ~64 KiB that inflates to 64 MiB
    decoder = BodyDecoder("deflate")
    pieces = decoder.feed(compressed)
    sizes = [len(next(pieces)) for _ in range(10)]
    assert all(size <= PIECE for size in sizes) and sum(sizes) == 10 * PIECE


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate", "deflate-raw", "gzip, deflate"])
def test_the_decoder_undoes_each_coding(coding: str) -> None:
    data = b'{"key": "value"}' * 5000
    if coding == "deflate-raw":
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        wire, header = comp.compress(data) + comp.flush(), "deflate"
    elif coding == "gzip, deflate":
        gz = zlib.compressobj(6, zlib.DEFLATED, 31)
        wire, header = zlib.compress(gz.compress(data) + gz.flush()), coding
    else:
        comp = zlib.compressobj(6, zlib.DEFLATED, 31 if "gzip" in coding else 15)
        wire, header = comp.compress(data) + comp.flush(), coding
    decoder = BodyDecoder(header)
    out = b"".join(b"".join(decoder.feed(wire[i : i + 100])) for i in range(0, len(wire), 100))
    assert out + b"".join(decoder.finish()) == data


def test_unknown_codings_are_refused_and_identity_passes() -> None:
    with pytest.raises(DecodeError, match="unsupported Content-Encoding 'br'"):
        BodyDecoder("br")
    assert BodyDecoder("identity").identity and BodyDecoder(None).identity


def test_a_declared_length_counts_only_for_unencoded_bodies() -> None:
    assert declared_length(httpx.Headers({"content-length": "10"})) == 10
    assert (
        declared_length(httpx.Headers({"content-length": "10", "content-encoding": "gzip"})) is None
    )
    assert declared_length(httpx.Headers({"content-length": "x"})) is None
    assert declared_length(httpx.Headers({"content-length": "-1"})) is None


# -- JSON ---------------------------------------------------------------------------------------


def test_json_is_strict_about_text() -> None:
    assert parse_json(b'{"a": "caf\xc3\xa9"}') == {"a": "café"}
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}  # a UTF-8 BOM is tolerated
    assert parse_json('{"a": "café"}'.encode("latin-1"), content_type="text/json; charset=latin-1")
    with pytest.raises(DecodeError, match="not valid UTF-8"):
        parse_json(b'{"a": "caf\xe9"}')
    with pytest.raises(DecodeError, match="unknown charset"):
        parse_json(b"{}", content_type="application/json; charset=klingon")
    with pytest.raises(DecodeError, match="empty body"):
        parse_json(b"  ")
    with pytest.raises(DecodeError, match="not valid JSON"):
        parse_json(b"{")


def test_deep_json_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="nested deeper"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(DecodeError):
        parse_json(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


# -- limits and arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_response_bytes", 0),
        ("max_response_bytes", "64MB"),
        ("max_download_bytes", -1),
        ("max_redirects", -1),
        ("max_redirects", True),
        ("deadline", 0),
        ("deadline", math.nan),
        ("attempt_timeout", -1),
        ("max_throttle_wait", math.inf),
        ("deadline_covers_throttle", "yes"),
    ],
)
def test_bad_limits_name_their_field(field: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Limits(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
    with pytest.raises(InvalidArgumentError) as again:
        Engine(**{field: value})
    assert again.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cache": "nope"}, "cache"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "30"}, "timeout"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_connections": "2"}, "max_connections"),
        ({"http2": "yes"}, "http2"),
        ({"trust_env": 1}, "trust_env"),
        ({"verify": "maybe"}, "verify"),
        ({"limiter": object()}, "limiter"),
        ({"retry": 3}, "retry"),
        ({"hooks": []}, "hooks"),
        ({"transport": object()}, "transport"),
        ({"clock": object()}, "clock"),
        ({"concurency": 2}, "concurency"),
    ],
)
def test_bad_engine_arguments_name_their_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Engine(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_an_unknown_argument_suggests_the_closest() -> None:
    with pytest.raises(InvalidArgumentError, match="did you mean 'max_redirects'"):
        Engine(max_redirect=3)


def test_an_unwritable_sqlite_cache_fails_at_construction(tmp_path: Path) -> None:
    from asyncdam.engine.cache_storage import SQLiteCache

    with pytest.raises(InvalidArgumentError, match="cannot create or write") as caught:
        Engine(cache=SQLiteCache(tmp_path / "missing-dir" / "cache.db"))
    assert caught.value.field == "cache"
    Engine(cache=SQLiteCache(tmp_path / "cache.db"))  # a writable place is fine


@pytest.mark.parametrize("value", [0, "2", 2.0, True, None])
def test_a_bad_concurrency_names_the_field(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        BaseDialect(name="t", base_url=check_base_url("https://x.example"), concurrency=value)  # type: ignore[arg-type]
    assert caught.value.field == "concurrency"


@pytest.mark.parametrize(
    "options",
    [{"deadline": 0}, {"attempt_timeout": -1.0}, {"timeout": math.inf}, {"max_response_bytes": 0}],
)
def test_bad_per_request_limits_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(InvalidRequestError):
        Request(method="GET", path="/x", **options)  # type: ignore[arg-type]


def test_errors_are_in_the_tree() -> None:
    import asyncdam

    for cls in (UnexpectedRedirect, ResponseTooLarge, QuotaWaitTooLong):
        assert issubclass(cls, asyncdam.AsyncDamError) and getattr(asyncdam, cls.__name__) is cls
    assert issubclass(QuotaWaitTooLong, asyncdam.RateLimited)
    assert issubclass(UnexpectedRedirect, asyncdam.APIStatusError)


# -- the limiter refuses long quota waits up front ----------------------------------------------


async def test_the_local_limiter_refuses_a_wait_past_max_wait(fake_clock: Any) -> None:
    clock = fake_clock
    limiter = LocalLimiter(clock=clock)
    permit = await limiter.acquire("s", concurrency=2, initial_rate=Rate(10, 60.0))
    permit.observe(RateLimitInfo(limit=10, remaining=0, reset_at=clock.now() + 3000), clock.now())
    await permit.release()
    with pytest.raises(WaitRefused) as caught:
        await limiter.acquire("s", concurrency=2, initial_rate=None, max_wait=60.0)
    assert caught.value.wait > 2900 and caught.value.reset_at >= clock.now() + 2900
    assert clock.sleeps == []  # refused without sleeping
    assert limiter.snapshot("s")["waiting"] == 0  # and without leaving a place in the queue
    # A wait under the ceiling is slept as before.
    with anyio.fail_after(5):
        later = await limiter.acquire("s", concurrency=2, initial_rate=None, max_wait=4000.0)
    await later.release()
    assert clock.sleeps and clock.sleeps[0] > 2900
